import Foundation
import TallyCore

/// A Swift value that can travel to PostgreSQL as a text-format parameter.
///
/// Parameters are always text: `numeric` values keep every digit, and the
/// server parses each value against its column type.
public protocol PostgresEncodable: Sendable {
    /// The parameter's type, or ``PostgresType/unspecified`` to let the server infer it.
    static var postgresType: PostgresType { get }
    /// The value in PostgreSQL's text input format.
    var postgresText: String { get }
}

/// One bound parameter: its text (nil for NULL) and type.
public struct PostgresBind: Sendable {
    public let text: String?
    public let type: PostgresType

    public init(_ value: some PostgresEncodable) {
        self.text = value.postgresText
        self.type = Swift.type(of: value).postgresType
    }

    public init(null type: PostgresType) {
        self.text = nil
        self.type = type
    }
}

extension String: PostgresEncodable {
    public static var postgresType: PostgresType { .unspecified }
    public var postgresText: String { self }
}

extension Substring: PostgresEncodable {
    public static var postgresType: PostgresType { .unspecified }
    public var postgresText: String { String(self) }
}

extension Int: PostgresEncodable {
    public static var postgresType: PostgresType { .int8 }
    public var postgresText: String { String(self) }
}

extension Int64: PostgresEncodable {
    public static var postgresType: PostgresType { .int8 }
    public var postgresText: String { String(self) }
}

extension Int32: PostgresEncodable {
    public static var postgresType: PostgresType { .int4 }
    public var postgresText: String { String(self) }
}

extension Bool: PostgresEncodable {
    public static var postgresType: PostgresType { .bool }
    public var postgresText: String { self ? "t" : "f" }
}

extension ExactDecimal: PostgresEncodable {
    public static var postgresType: PostgresType { .numeric }
    public var postgresText: String { description }
}

extension UTCTimestamp: PostgresEncodable {
    public static var postgresType: PostgresType { .timestamptz }
    public var postgresText: String { description }
}

extension CivilDate: PostgresEncodable {
    public static var postgresType: PostgresType { .date }
    public var postgresText: String { description }
}

extension UUID: PostgresEncodable {
    public static var postgresType: PostgresType { .uuid }
    public var postgresText: String { uuidString.lowercased() }
}

extension Currency: PostgresEncodable {
    public static var postgresType: PostgresType { .unspecified }
    public var postgresText: String { code }
}

/// JSON text sent as `jsonb` (or read from `json`/`jsonb` columns) without
/// interpretation, so numbers in it are never turned into floats here.
public struct PostgresJSON: PostgresEncodable, PostgresDecodable, Hashable {
    public let text: String
    public init(text: String) { self.text = text }

    /// Encodes a value with `JSONEncoder` (sorted keys, for stable output).
    public init(encoding value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        self.text = String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Decodes with `JSONDecoder`; use string-typed fields for money.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    public static var postgresType: PostgresType { .jsonb }
    public var postgresText: String { text }

    public init(from cell: PostgresCell) throws(PostgresError) {
        guard cell.type == .json || cell.type == .jsonb else { throw cell.typeMismatch(Self.self) }
        self.text = try cell.requireText()
    }
}
