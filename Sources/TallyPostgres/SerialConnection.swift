/// A connection that lives on its own serial executor.
///
/// Work is sent to it as a closure that receives the synchronous
/// ``PostgresConnection`` (as GRDB's `DatabaseQueue` does): inside the closure
/// statements run back to back with no hops, on a thread that may block, and
/// the compiler guarantees the connection never escapes to another thread.
public actor SerialConnection {
    private let executor: SerialExecutorQueue
    private var connection: PostgresConnection?

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    private init() {
        self.executor = SerialExecutorQueue(label: "tally.postgres.connection")
    }

    /// Opens a connection; the blocking connect runs on the new executor.
    public static func connect(_ configuration: PostgresConfiguration) async throws(PostgresError) -> SerialConnection {
        let serial = SerialConnection()
        try await serial.open(configuration)
        return serial
    }

    private func open(_ configuration: PostgresConfiguration) throws(PostgresError) {
        connection = try PostgresConnection(configuration: configuration)
    }

    /// Runs `body` with the connection, on this connection's own thread.
    public func run<T: Sendable>(_ body: @Sendable (PostgresConnection) throws -> T) throws -> T {
        guard let connection else { throw PostgresError(.connection, "connection is closed") }
        return try body(connection)
    }

    /// Runs `body` inside a transaction (see ``PostgresConnection/transaction(_:_:)``).
    public func transaction<T: Sendable>(
        _ isolation: PostgresConnection.IsolationLevel = .readCommitted,
        _ body: @Sendable (PostgresConnection) throws -> T
    ) throws -> T {
        guard let connection else { throw PostgresError(.connection, "connection is closed") }
        return try connection.transaction(isolation) { try body(connection) }
    }

    /// Runs `body`, then tells whether the connection is still fit for
    /// reuse (``PostgresConnection/isHealthy``), both in one visit to its thread.
    public func runThenCheck<T: Sendable>(
        _ body: @Sendable (PostgresConnection) throws -> T
    ) -> (result: Result<T, any Error>, healthy: Bool) {
        guard let connection else { return (.failure(PostgresError(.connection, "connection is closed")), false) }
        let result = Result { try body(connection) }
        return (result, connection.isHealthy)
    }

    /// Closes the connection now (it also closes when the actor goes away).
    public func close() {
        connection = nil
    }
}
