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
        var text = "{"
        for (i, element) in enumerated() {
            if i > 0 { text += "," }
            text += "\""
            for c in element.postgresText.unicodeScalars {
                if c == "\"" || c == "\\" { text += "\\" }
                text.unicodeScalars.append(c)
            }
            text += "\""
        }
        return text + "}"
    }
}
