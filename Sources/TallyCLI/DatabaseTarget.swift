import Foundation
import TallyDatabase
import TallyPostgres

/// Resolves which PostgreSQL a command talks to: `DATABASE_URL` when set,
/// else the project's local cluster, started on demand.
struct DatabaseTarget {
    let paths = ProjectPaths.discover()

    func configuration() throws -> PostgresConfiguration {
        if let configured = PostgresConfiguration.fromEnvironment() { return configured }
        let cluster = LocalCluster(root: paths.localClusterDirectory())
        for line in try cluster.start() where line != "already running" {
            Terminal.note("local database: \(line)")
        }
        return cluster.configuration
    }

    func migrator() throws -> Migrator {
        Migrator(migrations: try Migration.load(from: paths.migrationsDirectory()))
    }

    /// Connects and brings the schema up to date (quietly), for commands that need it.
    func migratedConnection() throws -> PostgresConnection {
        let db = try PostgresConnection(configuration: try configuration())
        let applied = try migrator().migrate(db)
        if !applied.isEmpty { Terminal.note("applied migrations: \(applied.joined(separator: ", "))") }
        return db
    }
}

enum Terminal {
    /// A line for people on stderr, so stdout stays clean for data.
    static func note(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
