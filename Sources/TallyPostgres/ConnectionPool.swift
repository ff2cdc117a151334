/// A small pool of ``SerialConnection``s for concurrent work.
///
/// Connections open lazily up to ``maximumConnections``; callers beyond that
/// wait in FIFO order. A connection that broke is dropped, not reused, and a
/// connection is never handed back in the middle of a transaction (an unclosed
/// transaction is rolled back first).
public actor ConnectionPool {
    public let configuration: PostgresConfiguration
    public let maximumConnections: Int

    private var idle: [SerialConnection] = []
    private var openCount = 0
    private var waiters: [CheckedContinuation<SerialConnection?, Never>] = []
    private var closed = false

    public init(configuration: PostgresConfiguration, maximumConnections: Int = 4) {
        precondition(maximumConnections > 0)
        self.configuration = configuration
        self.maximumConnections = maximumConnections
    }

    /// Runs `body` with a connection of the pool, on that connection's thread.
    @discardableResult
    public func withConnection<T: Sendable>(_ body: @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let connection = try await acquire()
        // Whether the connection can be reused is learned on its thread in the
        // same visit as the work (one hop there and back per call, not two).
        let (result, healthy) = await connection.runThenCheck { db in
            defer { if db.isInTransaction { _ = try? db.execute("ROLLBACK") } }
            return try body(db)
        }
        await release(connection, healthy: healthy)
        return try result.get()
    }

    /// Runs `body` in a transaction on a connection of the pool.
    @discardableResult
    public func transaction<T: Sendable>(
        _ isolation: PostgresConnection.IsolationLevel = .readCommitted,
        _ body: @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        try await withConnection { db in try db.transaction(isolation) { try body(db) } }
    }

    /// How many connections are open now (for tests and diagnostics).
    public var openConnections: Int { openCount }

    /// Closes idle connections and refuses new work; waiting callers get an error.
    public func close() async {
        closed = true
        for connection in idle { await connection.close() }
        openCount -= idle.count
        idle.removeAll()
        let pending = waiters
        waiters.removeAll()
        for waiter in pending { waiter.resume(returning: nil) }
    }

    private func acquire() async throws -> SerialConnection {
        if closed { throw PostgresError(.poolClosed, "the connection pool is closed") }
        if let connection = idle.popLast() { return connection }
        if openCount < maximumConnections {
            openCount += 1
            do {
                return try await SerialConnection.connect(configuration)
            } catch {
                openCount -= 1
                wakeOneWaiterToOpen()
                throw error
            }
        }
        let connection = await withCheckedContinuation { waiters.append($0) }
        if let connection { return connection }
        if closed { throw PostgresError(.poolClosed, "the connection pool is closed") }
        return try await acquire()  // a slot was freed for us to open
    }

    private func release(_ connection: SerialConnection, healthy: Bool) async {
        if healthy && !closed {
            if !waiters.isEmpty {
                waiters.removeFirst().resume(returning: connection)
            } else {
                idle.append(connection)
            }
            return
        }
        await connection.close()
        openCount -= 1
        wakeOneWaiterToOpen()
    }

    /// A slot freed up: let the first waiter open a fresh connection.
    private func wakeOneWaiterToOpen() {
        if !waiters.isEmpty { waiters.removeFirst().resume(returning: nil) }
    }
}
