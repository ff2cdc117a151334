import TallyPostgres

/// An array parameter built straight from byte
/// strings: a batch's 200,000 keys go to PostgreSQL as one bound value
/// without a `String` per element. Elements are quoted and escaped like
/// `Array.postgresText` does (`{"a","b \"c\""}`); the values are checked
/// UTF-8 without NUL (the event parsers refuse anything else). Its type
/// is left to the statement: cast it (`\(keys)::text[]`, `::date[]`).
struct TextArrayParameter: PostgresEncodable {
    static var postgresType: PostgresType { .unspecified }
    let postgresText: String

    init(_ items: some Sequence<ArraySlice<UInt8>>) {
        var bytes: [UInt8] = [UInt8(ascii: "{")]
        var first = true
        for item in items {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            bytes.append(UInt8(ascii: "\""))
            for byte in item {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { bytes.append(UInt8(ascii: "\\")) }
                bytes.append(byte)
            }
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: "}"))
        postgresText = String(decoding: bytes, as: UTF8.self)
    }
}
