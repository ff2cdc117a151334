import Foundation
import TallyCore

/// A Swift type that a result column decodes into.
///
/// Decoding checks the column's type: a `double precision` column does not
/// decode into ``ExactDecimal`` — money must live in `numeric`, and this is
/// where a schema mistake would surface.
public protocol PostgresDecodable {
    init(from cell: PostgresCell) throws(PostgresError)
}

extension String: PostgresDecodable {
    public init(from cell: PostgresCell) throws(PostgresError) {
        self = try cell.requireText()
    }
}

extension Int: PostgresDecodable {
    public init(from cell: PostgresCell) throws(PostgresError) {
        guard cell.type.isInteger else { throw cell.typeMismatch(Int.self) }
        self = Int(try cell.integer(Int.self))
    }
}

extension Int64: PostgresDecodable {
    public init(from cell: PostgresCell) throws(PostgresError) {
        guard cell.type.isInteger else { throw cell.typeMismatch(Int64.self) }
        self = try cell.integer(Int64.self)
    }
}

extension Int32: PostgresDecodable {
    public init(from cell: PostgresCell) throws(PostgresError) {
        guard cell.type == .int2 || cell.type == .int4 else { throw cell.typeMismatch(Int32.self) }
        guard let value = Int32(try cell.requireText()) else { throw cell.invalid(Int32.self) }
        self = value
    }
}

extension Bool: PostgresDecodable {
    public init(from cell: PostgresCell) throws(PostgresError) {
        guard cell.type == .bool else { throw cell.typeMismatch(Bool.self) }
        switch try cell.requireText() {
        case "t": self = true
        case "f": self = false
        default: throw cell.invalid(Bool.self)
        }
    }
}

extension ExactDecimal: PostgresDecodable {
    public init(from cell: PostgresCell) throws(PostgresError) {
        guard cell.type == .numeric || cell.type.isInteger else { throw cell.typeMismatch(ExactDecimal.self) }
        let bytes = try cell.requireBytes()
        do {
            self = try ExactDecimal(utf8: bytes)
        } catch {
            throw cell.invalid(ExactDecimal.self, because: error.message)
        }
    }
}

extension UTCTimestamp: PostgresDecodable {
    public init(from cell: PostgresCell) throws(PostgresError) {
        guard cell.type == .timestamptz else { throw cell.typeMismatch(UTCTimestamp.self) }
        let text = try cell.requireText()
        do {
            self = try UTCTimestamp(parsing: text)
        } catch {
            throw cell.invalid(UTCTimestamp.self, because: error.message)
        }
    }
}

extension CivilDate: PostgresDecodable {
    public init(from cell: PostgresCell) throws(PostgresError) {
        guard cell.type == .date else { throw cell.typeMismatch(CivilDate.self) }
        let bytes = try cell.requireBytes()
        do {
            self = try CivilDate(utf8: bytes)
        } catch {
            throw cell.invalid(CivilDate.self, because: error.message)
        }
    }
}

extension UUID: PostgresDecodable {
    public init(from cell: PostgresCell) throws(PostgresError) {
        guard cell.type == .uuid else { throw cell.typeMismatch(UUID.self) }
        guard let value = UUID(uuidString: try cell.requireText()) else { throw cell.invalid(UUID.self) }
        self = value
    }
}

extension Currency: PostgresDecodable {
    public init(from cell: PostgresCell) throws(PostgresError) {
        let text = try cell.requireText()
        do {
            self = try Currency(code: text)
        } catch {
            throw cell.invalid(Currency.self, because: error.message)
        }
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    /// SQL NULL decodes to `nil`; anything else to the wrapped type.
    public init(from cell: PostgresCell) throws(PostgresError) {
        self = cell.isNull ? nil : try Wrapped(from: cell)
    }
}
