import CLibPQ

/// The rows (or command status) of one statement, owning its `PGresult`.
///
/// The result is freed exactly once, when the last reference goes away; rows
/// and cells read from it without copying.
// @unchecked Sendable: the PGresult is never mutated after creation, libpq
// documents PGresult as safe to read from any thread, and it is freed only in
// deinit, when no other reference to this object exists.
public final class QueryResult: @unchecked Sendable {
    let handle: OpaquePointer
    /// The statement it came from, for error messages (made on demand).
    public var statement: String { SQL.label(text: statementText, name: statementName) }
    private let statementText: String
    private let statementName: String?
    public let rowCount: Int
    public let columnCount: Int

    init(handle: OpaquePointer, statementText: String, statementName: String?) {
        self.handle = handle
        self.statementText = statementText
        self.statementName = statementName
        self.rowCount = Int(PQntuples(handle))
        self.columnCount = Int(PQnfields(handle))
    }

    deinit {
        PQclear(handle)
    }

    /// Rows changed by INSERT/UPDATE/DELETE/COPY (0 when not reported).
    public var affectedRows: Int {
        guard let text = PQcmdTuples(handle) else { return 0 }
        return Int(String(cString: text)) ?? 0
    }

    public func columnName(_ column: Int) -> String {
        String(cString: PQfname(handle, Int32(column)))
    }

    public func columnType(_ column: Int) -> PostgresType {
        PostgresType(rawValue: PQftype(handle, Int32(column)))
    }

    /// The index of a column by name.
    public func column(named name: String) throws(PostgresError) -> Int {
        let index = Int(PQfnumber(handle, "\"" + name.replacingAll("\"", with: "\"\"") + "\""))
        guard index >= 0 else {
            throw PostgresError(.decoding, "no column named '\(name)' in the result", statement: statement)
        }
        return index
    }

    public var rows: [PostgresRow] {
        (0..<rowCount).map { PostgresRow(result: self, index: $0) }
    }

    /// The first row, if any.
    public var first: PostgresRow? {
        rowCount > 0 ? PostgresRow(result: self, index: 0) : nil
    }
}

extension QueryResult: RandomAccessCollection {
    public var startIndex: Int { 0 }
    public var endIndex: Int { rowCount }
    public subscript(position: Int) -> PostgresRow { PostgresRow(result: self, index: position) }
}

/// One row of a ``QueryResult``.
public struct PostgresRow: Sendable {
    public let result: QueryResult
    public let index: Int

    public func cell(_ column: Int) -> PostgresCell {
        precondition(column >= 0 && column < result.columnCount, "column \(column) out of range")
        let h = result.handle
        let row = Int32(index)
        let col = Int32(column)
        let isNull = PQgetisnull(h, row, col) == 1
        return PostgresCell(
            bytes: isNull ? nil : UnsafeRawBufferPointer(
                start: PQgetvalue(h, row, col), count: Int(PQgetlength(h, row, col))),
            type: result.columnType(column),
            column: column,
            result: result)
    }

    /// Decodes column `column` (0-based).
    public func decode<T: PostgresDecodable>(_ column: Int, as type: T.Type = T.self) throws(PostgresError) -> T {
        try T(from: cell(column))
    }

    /// Decodes the column named `name`.
    public func decode<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws(PostgresError) -> T {
        try T(from: cell(try result.column(named: name)))
    }
}

/// One value of a row, as PostgreSQL's text output, with its column type.
public struct PostgresCell {
    /// The text bytes, or nil for SQL NULL. Valid while the result lives.
    public let bytes: UnsafeRawBufferPointer?
    public let type: PostgresType
    public let column: Int
    let result: QueryResult

    public var isNull: Bool { bytes == nil }

    /// The text, or a decoding error naming the column when it is NULL.
    public func requireText() throws(PostgresError) -> String {
        guard let bytes else {
            throw PostgresError(
                .decoding, "column '\(result.columnName(column))' is NULL; decode it as an Optional",
                statement: result.statement)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The raw bytes, or a decoding error naming the column when it is NULL.
    public func requireBytes() throws(PostgresError) -> UnsafeRawBufferPointer {
        guard let bytes else {
            throw PostgresError(
                .decoding, "column '\(result.columnName(column))' is NULL; decode it as an Optional",
                statement: result.statement)
        }
        return bytes
    }

    /// A decimal integer read straight from the bytes (no `String`).
    func integer(_ type: Int64.Type) throws(PostgresError) -> Int64 {
        let bytes = try requireBytes()
        var index = 0
        var negative = false
        if bytes.first == UInt8(ascii: "-") {
            negative = true
            index = 1
        }
        guard index < bytes.count else { throw invalid(Int64.self) }
        var value: Int64 = 0
        while index < bytes.count {
            let digit = bytes[index] &- 48
            guard digit < 10 else { throw invalid(Int64.self) }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = negative ? times10.subtractingReportingOverflow(Int64(digit)) : times10.addingReportingOverflow(Int64(digit))
            guard !o1, !o2 else { throw invalid(Int64.self) }
            value = next
            index += 1
        }
        return value
    }

    func integer(_ type: Int.Type) throws(PostgresError) -> Int64 {
        try integer(Int64.self)
    }

    public func typeMismatch(_ swiftType: Any.Type) -> PostgresError {
        PostgresError(
            .decoding, "column '\(result.columnName(column))' is \(type), which does not decode to \(swiftType)",
            statement: result.statement)
    }

    public func invalid(_ swiftType: Any.Type, because reason: String? = nil) -> PostgresError {
        let text = bytes.map { String(decoding: $0, as: UTF8.self) } ?? "NULL"
        var message = "column '\(result.columnName(column))' value '\(text)' is not a valid \(swiftType)"
        if let reason { message += ": \(reason)" }
        return PostgresError(.decoding, message, statement: result.statement)
    }
}
