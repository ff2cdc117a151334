import CLibPQ
import Foundation
import TallyCore

/// One open libpq connection, used synchronously from one thread at a time.
///
/// This is the only type that touches a `PGconn`. Its calls block, so it must
/// never be used on Swift's cooperative thread pool: ``SerialConnection`` gives
/// each connection its own serial executor, and ``ConnectionPool`` hands them
/// out. It is deliberately not `Sendable` (libpq forbids two threads on one
/// connection), and the compiler enforces that below.
public final class PostgresConnection {
    let handle: OpaquePointer
    public let configuration: PostgresConfiguration
    private var savepointCounter = 0
    /// Statements prepared on this connection (``SQL/prepared()``): their
    /// server-side name by text and parameter types.
    private var preparedStatements: [PreparedKey: String] = [:]
    private var preparedCounter = 0
    /// At most this many prepared statements per connection; beyond, a
    /// statement runs unprepared (a bound on the server's memory, should a
    /// caller mark a statement whose text varies).
    static let preparedStatementLimit = 100

    private struct PreparedKey: Hashable {
        var text: String
        var types: [UInt32]

        init(_ sql: SQL) {
            text = sql.text
            types = sql.bindings.map { UInt32($0.type.rawValue) }
        }
    }

    /// Connects (blocking). Sets the session to UTC, ISO dates, UTF-8, and the
    /// configured search path.
    public init(configuration: PostgresConfiguration) throws(PostgresError) {
        self.configuration = configuration
        let keywords = ["dbname", "client_encoding", "application_name", "options"]
        let values = [configuration.url, "UTF8", configuration.applicationName, "-c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=iso_8601 -c client_min_messages=warning"]
        let conn = withCStringArray(keywords) { k in
            withCStringArray(values) { v in PQconnectdbParams(k, v, 1) }
        }
        guard let conn else {
            throw PostgresError(.connection, "could not connect to \(configuration.redactedTarget): out of memory")
        }
        guard PQstatus(conn) == CONNECTION_OK else {
            let message = configuration.redact(Self.trimmed(PQerrorMessage(conn)))
            PQfinish(conn)  // a failed attempt still allocates
            throw PostgresError(
                .connection, "could not connect to \(configuration.redactedTarget): \(message)",
                hint: "check DATABASE_URL, or unset it to use the local database (tally db start)")
        }
        // Server notices (a WARNING as the server shuts down, say) would go
        // raw to stderr through libpq's default processor; Tally reports
        // every failure as one error of its own (docs/errors.md) instead.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
        self.handle = conn
        if let searchPath = configuration.searchPath {
            try execute("SELECT set_config('search_path', \(searchPath), false)")
        }
    }

    deinit {
        PQfinish(handle)
    }

    /// False once the connection has broken; a pool discards such connections.
    public var isHealthy: Bool { PQstatus(handle) == CONNECTION_OK }

    /// True inside BEGIN … COMMIT.
    public var isInTransaction: Bool {
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR
    }

    /// The server's version number, e.g. 150018.
    public var serverVersion: Int { Int(PQserverVersion(handle)) }

    // MARK: Statements

    /// Runs one statement with its bound parameters and returns its result.
    @discardableResult
    public func execute(_ sql: SQL) throws(PostgresError) -> QueryResult {
        let result = try send(sql)
        do {
            return try check(result, text: sql.text, name: sql.name, expecting: [PGRES_COMMAND_OK, PGRES_TUPLES_OK])
        } catch {
            // A table changed under a prepared statement (a migration while
            // the server runs): this run fails, the next prepares it anew.
            if sql.isPrepared && error.sqlState == .featureNotSupported { forgetPrepared(sql) }
            throw error
        }
    }

    /// Runs `sql` prepared (``SQL/prepared()``): parsed and planned once
    /// per connection.
    @discardableResult
    public func execute(prepared sql: SQL) throws(PostgresError) -> QueryResult {
        try execute(sql.prepared())
    }

    private func forgetPrepared(_ sql: SQL) {
        preparedStatements[PreparedKey(sql)] = nil
    }

    /// Runs a statement and decodes its single value (first column, first row).
    public func scalar<T: PostgresDecodable>(_ sql: SQL, as type: T.Type = T.self) throws(PostgresError) -> T {
        let result = try execute(sql)
        guard let row = result.first else {
            throw PostgresError(.decoding, "expected one row, got none", statement: sql.label)
        }
        return try row.decode(0, as: T.self)
    }

    /// Runs a trusted multi-statement script (a migration file) with the simple
    /// query protocol. It takes no parameters, so no value can be spliced in.
    public func executeScript(_ script: String, name: String) throws(PostgresError) {
        guard !script.utf8.contains(0) else {
            throw PostgresError(.invalidParameter, "script contains a NUL byte", statement: name)
        }
        let result = PQexec(handle, script)
        _ = try check(result, text: script, name: name, expecting: [PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY])
        // A script's later results (if any) are drained by PQexec itself.
    }

    private func send(_ sql: SQL) throws(PostgresError) -> OpaquePointer? {
        let bindings = sql.bindings
        let prepared = sql.isPrepared ? try preparedName(for: sql) : nil
        if bindings.isEmpty {
            if let prepared { return PQexecPrepared(handle, prepared, 0, nil, nil, nil, 0) }
            return PQexecParams(handle, sql.text, 0, nil, nil, nil, nil, 0)
        }
        // One buffer holds every value, NUL-terminated; pointers index into it.
        var offsets: [Int?] = []
        offsets.reserveCapacity(bindings.count)
        var storage: [UInt8] = []
        for (i, bind) in bindings.enumerated() {
            guard let text = bind.text else {
                offsets.append(nil)
                continue
            }
            if text.utf8.contains(0) {
                throw PostgresError(
                    .invalidParameter, "parameter $\(i + 1) contains a NUL byte, which PostgreSQL text cannot hold",
                    statement: sql.label)
            }
            offsets.append(storage.count)
            storage.append(contentsOf: text.utf8)
            storage.append(0)
        }
        let types = bindings.map { Oid($0.type.rawValue) }
        return storage.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress)?.assumingMemoryBound(to: CChar.self)
            let pointers: [UnsafePointer<CChar>?] = offsets.map { offset in
                guard let offset, let base else { return nil }
                return base + offset
            }
            if let prepared { return PQexecPrepared(handle, prepared, Int32(bindings.count), pointers, nil, nil, 0) }
            return PQexecParams(handle, sql.text, Int32(bindings.count), types, pointers, nil, nil, 0)
        }
    }

    /// The name `sql` is prepared under on this connection, preparing it
    /// first if need be; nil when the connection holds its limit of
    /// prepared statements (it then runs unprepared). A statement is
    /// prepared outside any transaction's fate: it stays when the
    /// transaction that prepared it rolls back.
    private func preparedName(for sql: SQL) throws(PostgresError) -> String? {
        let key = PreparedKey(sql)
        if let name = preparedStatements[key] { return name }
        guard preparedStatements.count < Self.preparedStatementLimit else { return nil }
        preparedCounter += 1
        let name = "tally_\(preparedCounter)"
        let oids = key.types.map { Oid($0) }
        let result = oids.withUnsafeBufferPointer { PQprepare(handle, name, sql.text, Int32(oids.count), $0.baseAddress) }
        _ = try check(result, text: sql.text, name: sql.name, expecting: [PGRES_COMMAND_OK])
        preparedStatements[key] = name
        return name
    }

    /// Wraps a result, or turns it into an error and frees it.
    /// The result, or the error it holds. The statement's label (for the
    /// error) is made only on failure.
    func check(_ result: OpaquePointer?, text: String, name: String?, expecting: [ExecStatusType]) throws(PostgresError)
        -> QueryResult
    {
        guard let result else {
            throw Self.lost(handle, statement: SQL.label(text: text, name: name))
        }
        let status = PQresultStatus(result)
        if expecting.contains(status) {
            return QueryResult(handle: result, statementText: text, statementName: name)
        }
        let error = Self.error(from: result, connection: handle, statement: SQL.label(text: text, name: name))
        PQclear(result)
        throw error
    }

    static func error(from result: OpaquePointer, connection: OpaquePointer, statement: String) -> PostgresError {
        func field(_ code: Character) -> String? {
            guard let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: value)
        }
        let sqlState = field("C").map(SQLState.init(rawValue:))
        let message = field("M") ?? trimmed(PQresultErrorMessage(result))
        // Every error PostgreSQL sends carries a SQLSTATE; one without is
        // libpq's own, and when it says the connection went away it is a lost
        // connection even if libpq has not marked the connection bad yet (seen
        // with an immediate shutdown in the middle of a COPY).
        if sqlState == nil && (PQstatus(connection) != CONNECTION_OK || Self.saysConnectionLost(message)) {
            return lost(connection, statement: statement, message: message.isEmpty ? nil : message)
        }
        var error = PostgresError(
            .server, message.isEmpty ? trimmed(PQerrorMessage(connection)) : message, sqlState: sqlState,
            detail: field("D"), hint: field("H"), statement: statement)
        error.constraint = field("n")
        error.table = field("t")
        return error
    }

    static func saysConnectionLost(_ message: String) -> Bool {
        ["server closed the connection", "no connection to the server", "could not receive data", "could not send data",
         "terminating connection"].contains { message.contains($0) }
    }

    /// The connection broke during a statement (the server restarted, crashed
    /// or ended the session): a ``PostgresError/Code/connection`` error whose
    /// message is libpq's first line only (its second, "This probably means
    /// the server terminated abnormally…", is a guess, not a fact).
    static func lost(_ connection: OpaquePointer, statement: String, message: String? = nil) -> PostgresError {
        let text = message ?? trimmed(PQerrorMessage(connection))
        var first = text.split(separator: "\n").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        for severity in ["FATAL:", "ERROR:"] where first.hasPrefix(severity) {
            first = String(first.dropFirst(severity.count)).trimmingCharacters(in: .whitespaces)
        }
        return PostgresError(
            .connection, "the connection to the database was lost (\(first.isEmpty ? "no reason given" : first))", statement: statement)
    }

    static func trimmed(_ text: UnsafePointer<CChar>?) -> String {
        guard let text else { return "unknown error" }
        return String(cString: text).trimmingTrailingWhitespace()
    }

    // MARK: Transactions

    /// Isolation levels Tally uses, spelled as SQL.
    public enum IsolationLevel: String, Sendable {
        case readCommitted = "READ COMMITTED"
        case repeatableRead = "REPEATABLE READ"
        case serializable = "SERIALIZABLE"
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when
    /// it throws (and the error rethrown). Inside a transaction already, it
    /// becomes a savepoint, so helpers compose.
    @discardableResult
    public func transaction<T>(
        _ isolation: IsolationLevel = .readCommitted, _ body: () throws -> T
    ) throws -> T {
        if isInTransaction { return try savepoint(body) }
        switch isolation {
        case .readCommitted: try execute("BEGIN ISOLATION LEVEL READ COMMITTED")
        case .repeatableRead: try execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        case .serializable: try execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
        }
        let value: T
        do {
            value = try body()
        } catch {
            if isHealthy { _ = try? execute("ROLLBACK") }
            throw error
        }
        try execute("COMMIT")
        return value
    }

    /// Runs `body` under a savepoint: its work is undone if it throws, while the
    /// enclosing transaction goes on.
    @discardableResult
    public func savepoint<T>(_ body: () throws -> T) throws -> T {
        precondition(isInTransaction, "savepoint outside a transaction")
        savepointCounter += 1
        let name = "tally_sp_\(savepointCounter)"
        try execute("SAVEPOINT \(identifier: name)")
        let value: T
        do {
            value = try body()
        } catch {
            if isHealthy {
                _ = try? execute("ROLLBACK TO SAVEPOINT \(identifier: name)")
                _ = try? execute("RELEASE SAVEPOINT \(identifier: name)")
            }
            throw error
        }
        try execute("RELEASE SAVEPOINT \(identifier: name)")
        return value
    }
}

@available(*, unavailable, message: "a libpq connection must stay on one thread; use SerialConnection or ConnectionPool")
extension PostgresConnection: Sendable {}

extension String {
    func trimmingTrailingWhitespace() -> String {
        var s = Substring(self)
        while let last = s.last, last.isWhitespace { s.removeLast() }
        return String(s)
    }
}

/// Calls `body` with a NULL-terminated array of C strings that live for the call.
func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let duplicates = strings.map { strdup($0) }
    defer { duplicates.forEach { free($0) } }
    let pointers: [UnsafePointer<CChar>?] = duplicates.map { $0.map { UnsafePointer($0) } } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
