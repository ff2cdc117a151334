import Foundation
import Synchronization
import TallyDatabase
import TallyPostgres

/// A real PostgreSQL for tests, one fresh schema per test.
///
/// Tests never mock the database. The server is `DATABASE_URL` when set
/// (`make test` starts a throwaway cluster and sets it); otherwise the
/// project's local cluster in `.tally/`, started on demand. Each test gets its
/// own schema, migrated from `migrations/`, so tests run in parallel without
/// seeing each other, and the schema is dropped afterwards.
public enum TestDatabase {
    /// The repository root, found from this file's path.
    public static let projectRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static var migrationsDirectory: URL { projectRoot.appendingPathComponent("migrations") }

    private static let serverConfiguration = Mutex<PostgresConfiguration?>(nil)

    /// The server's configuration (no schema chosen).
    public static func server() throws -> PostgresConfiguration {
        try serverConfiguration.withLock { cached in
            if let cached { return cached }
            let configuration: PostgresConfiguration
            if let fromEnvironment = PostgresConfiguration.fromEnvironment() {
                configuration = fromEnvironment
            } else {
                let cluster = LocalCluster(root: projectRoot.appendingPathComponent(".tally"))
                try cluster.start()
                configuration = cluster.configuration
            }
            cached = configuration
            return configuration
        }
    }

    /// Creates a fresh schema, migrates it (unless `migrated` is false), runs
    /// `body` with a pool whose connections use that schema, then drops it.
    @discardableResult
    public static func withSchema<T>(
        migrated: Bool = true, maximumConnections: Int = 4,
        _ body: (ConnectionPool, PostgresConfiguration) async throws -> T
    ) async throws -> T {
        let server = try server()
        let schema = "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        try await run(server) { db in try db.execute("CREATE SCHEMA \(identifier: schema)") }
        var configuration = server
        configuration.searchPath = schema
        let pool = ConnectionPool(configuration: configuration, maximumConnections: maximumConnections)
        do {
            if migrated {
                let migrations = try Migration.load(from: migrationsDirectory)
                _ = try await pool.withConnection { db in try Migrator(migrations: migrations).migrate(db) }
            }
            let value = try await body(pool, configuration)
            await pool.close()
            try await drop(schema, server)
            return value
        } catch {
            await pool.close()
            try? await drop(schema, server)
            throw error
        }
    }

    private static func drop(_ schema: String, _ server: PostgresConfiguration) async throws {
        try await run(server) { db in try db.execute("DROP SCHEMA \(identifier: schema) CASCADE") }
    }

    /// One statement on a short-lived connection, off the cooperative pool.
    private static func run(
        _ configuration: PostgresConfiguration, _ body: @Sendable @escaping (PostgresConnection) throws -> Void
    ) async throws {
        let connection = try await SerialConnection.connect(configuration)
        try await connection.run(body)
        await connection.close()
    }
}
