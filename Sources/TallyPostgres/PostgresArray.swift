import TallyCore

/// An element type that can travel inside a PostgreSQL array parameter.
public protocol PostgresArrayElement: PostgresEncodable {
    /// The array type's OID (`text[]`, `timestamptz[]`, …).
    static var postgresArrayType: PostgresType { get }
}

extension String: PostgresArrayElement {
    public static var postgresArrayType: PostgresType { PostgresType(rawValue: 1009) }
}

extension UTCTimestamp: PostgresArrayElement {
    public static var postgresArrayType: PostgresType { PostgresType(rawValue: 1185) }
}

extension Int: PostgresArrayElement {
    public static var postgresArrayType: PostgresType { PostgresType(rawValue: 1016) }
}

extension ExactDecimal: PostgresArrayElement {
    public static var postgresArrayType: PostgresType { PostgresType(rawValue: 1231) }
}

extension CivilDate: PostgresArrayElement {
    public static var postgresArrayType: PostgresType { PostgresType(rawValue: 1182) }
}

/// Arrays bind as one parameter in PostgreSQL's array text format, every
/// element quoted and escaped: `{"a","b \"c\""}`. Use with `unnest($1)` to
/// send a set of keys in one statement instead of one statement per key.
extension Array: PostgresEncodable where Element: PostgresArrayElement {
    public static var postgresType: PostgresType { Element.postgresArrayType }

    public var postgresText: String {
        // Built as UTF-8 bytes: a quote or a backslash is one byte that no
        // multi-byte character contains, so escaping bytewise is exact (and,
        // for the server's small arrays, several times cheaper than appending
        // Unicode scalars to a String).
        var bytes: [UInt8] = [UInt8(ascii: "{")]
        for (i, element) in enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(UInt8(ascii: "\""))
            for byte in element.postgresText.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { bytes.append(UInt8(ascii: "\\")) }
                bytes.append(byte)
            }
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A number that can be read out of an array's text (`{1,2.5,3}`).
public protocol PostgresNumericArrayElement: PostgresArrayElement {
    /// Parses one unquoted element; nil if it is not a valid value.
    static func parseArrayElement(_ bytes: UnsafeRawBufferPointer) -> Self?
    /// The array types this element decodes from.
    static var decodableArrayTypes: [PostgresType] { get }
}

extension Int: PostgresNumericArrayElement {
    public static func parseArrayElement(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard !bytes.isEmpty else { return nil }
        var value = 0
        var negative = false
        for (i, b) in bytes.enumerated() {
            if i == 0 && b == UInt8(ascii: "-") {
                negative = true
                continue
            }
            guard b >= 48 && b <= 57 else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.addingReportingOverflow(Int(b - 48))
            guard !o1, !o2 else { return nil }
            value = next
        }
        return negative ? -value : value
    }

    /// smallint[], integer[] and bigint[].
    public static var decodableArrayTypes: [PostgresType] {
        [PostgresType(rawValue: 1005), PostgresType(rawValue: 1007), PostgresType(rawValue: 1016)]
    }
}

extension ExactDecimal: PostgresNumericArrayElement {
    public static func parseArrayElement(_ bytes: UnsafeRawBufferPointer) -> ExactDecimal? {
        try? ExactDecimal(utf8: bytes)
    }

    public static var decodableArrayTypes: [PostgresType] { [postgresArrayType] }
}

extension PostgresCell {
    /// Splits a numeric array's text (`{1,2.5,3}`) and parses each element
    /// with `parse`; NULL elements and nested arrays are refused.
    @inline(__always)
    func numericArray<T>(_ type: T.Type, _ parse: (UnsafeRawBufferPointer) -> T?) throws(PostgresError) -> [T] {
        let bytes = try requireBytes()
        guard bytes.count >= 2, bytes.first == UInt8(ascii: "{"), bytes.last == UInt8(ascii: "}") else {
            throw invalid([T].self)
        }
        var elements: [T] = []
        var start = 1
        let end = bytes.count - 1
        guard end > start else { return elements }
        var i = start
        while i <= end {
            if i == end || bytes[i] == UInt8(ascii: ",") {
                guard let value = parse(UnsafeRawBufferPointer(rebasing: bytes[start..<i])) else {
                    throw invalid([T].self, because: "element \(elements.count + 1) is not a \(T.self)")
                }
                elements.append(value)
                start = i + 1
            }
            i += 1
        }
        return elements
    }
}

extension PostgresRow {
    /// A `smallint[]`, `integer[]` or `bigint[]` column.
    public func decodeIntArray(_ column: Int) throws(PostgresError) -> [Int] {
        let cell = cell(column)
        guard Int.decodableArrayTypes.contains(cell.type) else { throw cell.typeMismatch([Int].self) }
        return try cell.numericArray(Int.self, Int.parseArrayElement)
    }

    /// A `numeric[]` column, exactly.
    public func decodeDecimalArray(_ column: Int) throws(PostgresError) -> [ExactDecimal] {
        let cell = cell(column)
        guard cell.type == ExactDecimal.postgresArrayType else { throw cell.typeMismatch([ExactDecimal].self) }
        return try cell.numericArray(ExactDecimal.self, ExactDecimal.parseArrayElement)
    }
}
