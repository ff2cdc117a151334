/// Reading and writing decimal text, digit by digit.
extension ExactDecimal: CustomStringConvertible, LosslessStringConvertible {
    /// Parses plain decimal text: an optional sign, digits, an optional point
    /// and up to eighteen fraction digits (`-12.5`, `0.000125`, `+3`, `.5`).
    /// With `allowExponent`, also `7.1e-07` (JSON numbers): the exponent moves
    /// the point, and the result must still fit eighteen places exactly.
    public init(parsing text: some StringProtocol, allowExponent: Bool = false, timesPowerOfTen shift: Int = 0) throws(MoneyError) {
        let bytes = Array(text.utf8)
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(MoneyError) in try ExactDecimal(utf8: raw, allowExponent: allowExponent, timesPowerOfTen: shift) }
        }
        self = try result.get()
    }

    /// Parses UTF-8 bytes as ``init(parsing:allowExponent:)`` does, without
    /// making a `String` first (database cells are read this way). Concrete
    /// rather than generic, so callers in other modules get the fast code.
    /// `timesPowerOfTen` moves the decimal point while reading, exactly: a price
    /// per token written `1.1428571428571428e-06` is read per 1M tokens
    /// (shift 6) as 1.1428571428571428, which 18 places hold, where the per-token
    /// value would need 22.
    public init(utf8 bytes: UnsafeRawBufferPointer, allowExponent: Bool = false, timesPowerOfTen shift: Int = 0) throws(MoneyError) {
        var utf8 = bytes[...]
        // The text, made only when an error needs it.
        func shown() -> String { String(decoding: bytes, as: UTF8.self) }
        func invalid(_ why: String) -> MoneyError {
            MoneyError(.invalidDecimal, "'\(shown())' is not a decimal number: \(why)")
        }
        guard !utf8.isEmpty else { throw invalid("empty") }

        var exponent = shift
        if let e = utf8.firstIndex(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            guard allowExponent else { throw invalid("exponent not allowed here") }
            let tail = utf8[(e + 1)...]
            var sign = 1
            var digits = tail[...]
            if let first = digits.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
                sign = first == UInt8(ascii: "-") ? -1 : 1
                digits = digits.dropFirst()
            }
            guard !digits.isEmpty, digits.count <= 4, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                throw invalid("bad exponent")
            }
            exponent += sign * digits.reduce(0) { $0 * 10 + Int($1 - 48) }
            utf8 = utf8[..<e]
        }

        guard !utf8.isEmpty else { throw invalid("no digits") }
        var index = utf8.startIndex
        var negative = false
        if utf8[index] == UInt8(ascii: "-") || utf8[index] == UInt8(ascii: "+") {
            negative = utf8[index] == UInt8(ascii: "-")
            index += 1
        }
        var mantissa: UInt128 = 0
        var fractionDigits = 0
        var sawPoint = false
        var sawDigit = false
        // Zeros after the point are held back until a non-zero digit follows,
        // so trailing zeros never count against the range.
        var pendingFractionZeros = 0
        while index < utf8.endIndex {
            let c = utf8[index]
            index += 1
            if c == UInt8(ascii: ".") {
                if sawPoint { throw invalid("two decimal points") }
                sawPoint = true
                continue
            }
            guard c >= 48 && c <= 57 else { throw invalid("unexpected character") }
            sawDigit = true
            if sawPoint && c == 48 {
                pendingFractionZeros += 1
                continue
            }
            for _ in 0..<(pendingFractionZeros + 1) {
                let (shifted, overflow) = mantissa.multipliedReportingOverflow(by: 10)
                guard !overflow else { throw MoneyError(.overflow, "'\(shown())' is out of range") }
                mantissa = shifted
            }
            if sawPoint { fractionDigits += pendingFractionZeros + 1 }
            pendingFractionZeros = 0
            let (sum, overflow) = mantissa.addingReportingOverflow(UInt128(c - 48))
            guard !overflow else { throw MoneyError(.overflow, "'\(shown())' is out of range") }
            mantissa = sum
        }
        guard sawDigit else { throw invalid("no digits") }

        // value = mantissa · 10^(exponent − fractionDigits); units = value · 10¹⁸.
        var shift = Self.scale + exponent - fractionDigits
        while shift < 0 {
            guard mantissa % 10 == 0 else {
                throw MoneyError(.inexact, "'\(shown())' has more than \(Self.scale) decimal places")
            }
            mantissa /= 10
            shift += 1
        }
        while shift > 0 {
            let (next, overflow) = mantissa.multipliedReportingOverflow(by: 10)
            guard !overflow, next <= UInt128(Int128.max) else {
                throw MoneyError(.overflow, "'\(shown())' is out of range")
            }
            if mantissa == 0 { break }
            mantissa = next
            shift -= 1
        }
        guard let value = Int128(exactly: mantissa) else { throw MoneyError(.overflow, "'\(shown())' is out of range") }
        self.init(units: negative ? -value : value)
    }

    /// `LosslessStringConvertible`: plain decimal text, nil when invalid.
    public init?(_ description: String) {
        guard let value = try? ExactDecimal(parsing: description) else { return nil }
        self = value
    }

    /// The shortest exact text: no exponent, no trailing zeros (`12.5`, `-0.000125`, `3`).
    public var description: String {
        format(places: nil)
    }

    /// Text with exactly `places` fraction digits (0...18). The value must already
    /// have at most that many places: round it first with ``rounded(places:_:)``;
    /// this never rounds silently.
    public func formatted(places: Int) -> String {
        precondition(decimalPlaces <= places, "\(self) has more than \(places) places: round it first")
        return format(places: places)
    }

    /// Digits written into one byte buffer: the fraction (below 10¹⁸) is a
    /// `UInt64`, so no `UInt128`-to-`String` conversion or string trimming
    /// runs per value (this formats every amount Tally stores or prints).
    private func format(places: Int?) -> String {
        let m = units.magnitude
        let one = Self.unitsPerOne.magnitude
        let integer = m / one
        var fraction = UInt64(m % one)
        var digits = Self.scale
        if let places {
            for _ in places..<Self.scale { fraction /= 10 }  // the first `places` digits, as text.prefix(places) did
            digits = places
        } else {
            while digits > 0 && fraction % 10 == 0 {
                fraction /= 10
                digits -= 1
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(42)
        if units < 0 { bytes.append(UInt8(ascii: "-")) }
        if integer <= UInt128(UInt64.max) {
            Self.appendDigits(UInt64(integer), width: 1, to: &bytes)
        } else {
            bytes.append(contentsOf: String(integer).utf8)
        }
        if digits > 0 {
            bytes.append(UInt8(ascii: "."))
            Self.appendDigits(fraction, width: digits, to: &bytes)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Decimal digits of `value`, left-padded with zeros to `width`.
    private static func appendDigits(_ value: UInt64, width: Int, to bytes: inout [UInt8]) {
        let start = bytes.count
        var v = value
        repeat {
            bytes.append(UInt8(48 + v % 10))
            v /= 10
        } while v > 0
        while bytes.count - start < width { bytes.append(48) }
        bytes[start...].reverse()
    }
}

extension ExactDecimal: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int) {
        self.init(value)
    }
}

extension ExactDecimal: Codable {
    /// Encoded as a JSON **string** (`"12.50"`), so no JSON reader on the other
    /// side can turn it into a binary float.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        self = try ExactDecimal(parsing: text)
    }
}
