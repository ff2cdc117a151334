import Synchronization
import TallyPostgres

/// The server's way to the database: the ``ConnectionPool`` (blocking libpq
/// work on the pool's own threads, never on the cooperative pool), counting
/// the connections in use for `/metrics`.
public final class ServerDatabase: Sendable {
    public let pool: ConnectionPool
    private let inUse = Atomic<Int>(0)
    private let metrics: TallyMetrics

    public init(pool: ConnectionPool, metrics: TallyMetrics) {
        self.pool = pool
        self.metrics = metrics
    }

    /// Runs `body` with a connection of the pool.
    public func run<T: Sendable>(_ body: @Sendable @escaping (PostgresConnection) throws -> T) async throws -> T {
        try await pool.withConnection { db in
            // Counted once the connection is held (not while waiting for one).
            self.metrics.connectionsInUse(self.inUse.add(1, ordering: .relaxed).newValue)
            defer { self.metrics.connectionsInUse(self.inUse.subtract(1, ordering: .relaxed).newValue) }
            return try body(db)
        }
    }

    /// Runs `body` in a transaction on a connection of the pool.
    public func transaction<T: Sendable>(_ body: @Sendable @escaping (PostgresConnection) throws -> T) async throws -> T {
        try await run { db in try db.transaction { try body(db) } }
    }
}
