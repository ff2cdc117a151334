/// An exact decimal number, stored as a signed 128-bit count of 10⁻¹⁸ units.
///
/// Billing needs arithmetic that never drifts: `0.1 + 0.2` must be `0.3`, and a
/// price read from a rate card must be the price written there. Binary floating
/// point cannot promise that, and Foundation's `Decimal` is slow on Linux, so
/// Tally uses a fixed-point integer: eighteen decimal places cover every price
/// (quoted to six places per 1M tokens), FX rate and internal cost figure, and
/// the range (about ±1.7 × 10²⁰) covers any amount or token count Tally sees.
///
/// Every operation is exact or fails loudly:
/// - `+`, `-` and `*` throw ``MoneyError/Code-swift.struct/overflow`` when the
///   result leaves the range, and `*` throws
///   ``MoneyError/Code-swift.struct/inexact`` when the exact product needs more
///   than eighteen places. Code that accepts losing digits says so by calling
///   ``multiplied(by:rounding:)`` or ``divided(by:rounding:)`` with a named rule.
/// - Parsing reads decimal text digit by digit; it never goes through a binary
///   float, and text with more than eighteen places is refused, not rounded.
public struct ExactDecimal: Sendable, Hashable, Comparable {
    /// Decimal places held exactly.
    public static let scale = 18
    /// 10¹⁸, the number of units in one.
    public static let unitsPerOne: Int128 = 1_000_000_000_000_000_000

    /// The value times 10¹⁸.
    public let units: Int128

    /// Wraps a raw unit count (value × 10¹⁸). The range is symmetric,
    /// ±(2¹²⁷ − 1) units, so negation and magnitude can never overflow:
    /// `Int128.min` is not a valid unit count.
    public init(units: Int128) {
        precondition(units != .min, "Int128.min is outside ExactDecimal's symmetric range")
        self.units = units
    }

    /// The largest value, about 1.7 × 10²⁰; the smallest is its negation.
    public static let max = ExactDecimal(units: .max)
    public static let min = ExactDecimal(units: -.max)

    /// An integer value; exact for every `Int`.
    public init(_ value: Int) {
        self.units = Int128(value) * Self.unitsPerOne
    }

    public static let zero = ExactDecimal(units: 0)
    public static let one = ExactDecimal(units: unitsPerOne)

    public static func < (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool {
        lhs.units < rhs.units
    }

    public var isZero: Bool { units == 0 }
    public var isNegative: Bool { units < 0 }
    public var magnitude: ExactDecimal { ExactDecimal(units: units < 0 ? -units : units) }
    public var negated: ExactDecimal { ExactDecimal(units: -units) }

    /// The integer part, truncated toward zero, when it fits an `Int`.
    public var integerPart: Int? {
        Int(exactly: units / Self.unitsPerOne)
    }

    /// True when the value has no fractional part.
    public var isInteger: Bool { units % Self.unitsPerOne == 0 }

    /// How many decimal places the value needs (0 for an integer).
    public var decimalPlaces: Int {
        var fraction = units % Self.unitsPerOne
        if fraction == 0 { return 0 }
        if fraction < 0 { fraction = -fraction }
        var places = Self.scale
        while fraction % 10 == 0 {
            fraction /= 10
            places -= 1
        }
        return places
    }
}

// MARK: - Arithmetic

extension ExactDecimal {
    public static func + (lhs: ExactDecimal, rhs: ExactDecimal) throws(MoneyError) -> ExactDecimal {
        let (sum, overflow) = lhs.units.addingReportingOverflow(rhs.units)
        if overflow || sum == .min { throw MoneyError(.overflow, "\(lhs) + \(rhs) is out of range") }
        return ExactDecimal(units: sum)
    }

    public static func - (lhs: ExactDecimal, rhs: ExactDecimal) throws(MoneyError) -> ExactDecimal {
        let (difference, overflow) = lhs.units.subtractingReportingOverflow(rhs.units)
        if overflow || difference == .min { throw MoneyError(.overflow, "\(lhs) - \(rhs) is out of range") }
        return ExactDecimal(units: difference)
    }

    /// The exact product; throws when it needs more than eighteen places.
    public static func * (lhs: ExactDecimal, rhs: ExactDecimal) throws(MoneyError) -> ExactDecimal {
        let (quotient, remainder) = try lhs.productMagnitude(rhs)
        if remainder != 0 {
            throw MoneyError(.inexact, "\(lhs) × \(rhs) needs more than \(scale) decimal places")
        }
        guard let value = signed(quotient, negative: (lhs.units < 0) != (rhs.units < 0)) else {
            throw MoneyError(.overflow, "\(lhs) × \(rhs) is out of range")
        }
        return ExactDecimal(units: value)
    }

    /// The product rounded to eighteen places by `rule`: for internal figures
    /// (cost shares, weights) where an exact product may be longer.
    public func multiplied(by other: ExactDecimal, rounding rule: RoundingRule) throws(MoneyError) -> ExactDecimal {
        let (quotient, remainder) = try productMagnitude(other)
        return try ExactDecimal.round(
            quotient: quotient, remainder: remainder, divisor: Self.unitsPerOne.magnitude,
            negative: (units < 0) != (other.units < 0), rule: rule)
    }

    /// The quotient rounded to eighteen places by `rule`.
    public func divided(by divisor: ExactDecimal, rounding rule: RoundingRule) throws(MoneyError) -> ExactDecimal {
        if divisor.units == 0 { throw MoneyError(.divisionByZero, "\(self) ÷ 0") }
        // (a·10¹⁸) / (b·10¹⁸) = a·10¹⁸·10¹⁸ / (b·10¹⁸) units.
        let widened = units.magnitude.multipliedFullWidth(by: Self.unitsPerOne.magnitude)
        let d = divisor.units.magnitude
        guard widened.high < d else { throw MoneyError(.overflow, "\(self) ÷ \(divisor) is out of range") }
        let (q, r) = d.dividingFullWidth(widened)
        return try ExactDecimal.round(
            quotient: q, remainder: r, divisor: d, negative: (units < 0) != (divisor.units < 0), rule: rule)
    }

    /// `self × factor ÷ divisor` with one rounding: the 256-bit product is
    /// divided before anything is dropped. Cost shares (`U × K ÷ C`) use it so
    /// that a pool-hour used in full costs exactly its price.
    public func multiplied(
        by factor: ExactDecimal, dividedBy divisor: ExactDecimal, rounding rule: RoundingRule
    ) throws(MoneyError) -> ExactDecimal {
        if divisor.units == 0 { throw MoneyError(.divisionByZero, "\(self) × \(factor) ÷ 0") }
        // (a·10¹⁸)(b·10¹⁸) / (c·10¹⁸) = (a·b/c)·10¹⁸ units.
        let wide = units.magnitude.multipliedFullWidth(by: factor.units.magnitude)
        let d = divisor.units.magnitude
        guard wide.high < d else { throw MoneyError(.overflow, "\(self) × \(factor) ÷ \(divisor) is out of range") }
        let (q, r) = d.dividingFullWidth(wide)
        let negative = ((units < 0) != (factor.units < 0)) != (divisor.units < 0)
        return try ExactDecimal.round(quotient: q, remainder: r, divisor: d, negative: negative, rule: rule)
    }

    /// |self × other| in units, as quotient and remainder of the division by 10¹⁸.
    private func productMagnitude(_ other: ExactDecimal) throws(MoneyError) -> (UInt128, UInt128) {
        let wide = units.magnitude.multipliedFullWidth(by: other.units.magnitude)
        let one = Self.unitsPerOne.magnitude
        guard wide.high < one else { throw MoneyError(.overflow, "\(self) × \(other) is out of range") }
        return one.dividingFullWidth(wide)
    }

    private static func signed(_ magnitude: UInt128, negative: Bool) -> Int128? {
        guard let value = Int128(exactly: magnitude) else { return nil }
        return negative ? -value : value
    }

    /// Rounds `±(quotient + remainder/divisor)` units to a whole unit by `rule`.
    private static func round(
        quotient: UInt128, remainder: UInt128, divisor: UInt128, negative: Bool, rule: RoundingRule
    ) throws(MoneyError) -> ExactDecimal {
        var q = quotient
        if remainder != 0 && rule.roundsAwayFromZero(
            remainder: remainder, divisor: divisor, quotientIsOdd: q & 1 == 1, negative: negative)
        {
            q += 1
        }
        guard let value = signed(q, negative: negative) else {
            throw MoneyError(.overflow, "rounded result is out of range")
        }
        return ExactDecimal(units: value)
    }

    /// Rounds to `places` decimal places (0...18) by `rule`.
    public func rounded(places: Int, _ rule: RoundingRule) -> ExactDecimal {
        precondition((0...Self.scale).contains(places), "places must be in 0...\(Self.scale)")
        if places == Self.scale { return self }
        let step = Self.powerOfTen(Self.scale - places)
        let m = units.magnitude
        var q = m / step.magnitude
        let r = m % step.magnitude
        if r != 0 && rule.roundsAwayFromZero(
            remainder: r, divisor: step.magnitude, quotientIsOdd: q & 1 == 1, negative: units < 0)
        {
            q += 1
        }
        // q · step ≤ |units| + step, which stays below 2¹²⁷ for any in-range value
        // rounded to fewer than 18 places, because |units| < 1.7·10³⁸ and step ≤ 10¹⁸.
        let magnitude = Int128(q) * step
        return ExactDecimal(units: units < 0 ? -magnitude : magnitude)
    }

    static func powerOfTen(_ exponent: Int) -> Int128 {
        var result: Int128 = 1
        for _ in 0..<exponent { result *= 10 }
        return result
    }
}

extension Sequence where Element == ExactDecimal {
    /// The exact sum; throws on overflow.
    public func sum() throws(MoneyError) -> ExactDecimal {
        var total = ExactDecimal.zero
        for value in self { total = try total + value }
        return total
    }
}

extension ExactDecimal {
    /// `self ÷ 10^shift`, rounded once to `places` decimals by `rule`.
    ///
    /// An invoice line is tokens × price per 1M ÷ 1,000,000, rounded once to
    /// the currency's minor unit. Dividing first at 18 places and rounding
    /// again would round twice; this does the shift and the rounding in one step.
    public func shifted(downBy shift: Int, roundedTo places: Int, _ rule: RoundingRule) throws(MoneyError) -> ExactDecimal {
        precondition(shift >= 0 && places >= 0 && places <= Self.scale)
        let dropExponent = Self.scale - places + shift  // units dropped, as a power of ten
        guard dropExponent <= 38 else {
            // |self| < 10³⁸ ≤ half a step: only "away from zero" moves a non-zero value.
            guard rule == .awayFromZero, units != 0 else { return .zero }
            let unit = Self.powerOfTen(Self.scale - places)
            return ExactDecimal(units: units < 0 ? -unit : unit)
        }
        let step = Self.powerOfTen(dropExponent).magnitude
        let m = units.magnitude
        var q = m / step
        let r = m % step
        if r != 0 && rule.roundsAwayFromZero(remainder: r, divisor: step, quotientIsOdd: q & 1 == 1, negative: units < 0) {
            q += 1
        }
        let (result, overflow) = Int128(q).multipliedReportingOverflow(by: Self.powerOfTen(Self.scale - places))
        guard !overflow else { throw MoneyError(.overflow, "\(self) shifted by \(shift) is out of range") }
        return ExactDecimal(units: units < 0 ? -result : result)
    }
}
