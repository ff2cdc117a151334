import TallyPostgres

/// Applies pending migrations, each in its own transaction, and records them
/// with a SHA-256 checksum of their text.
///
/// - Running it again is a no-op.
/// - A recorded migration whose file changed is refused, naming the file: an
///   applied migration is history, and a fix is a new file.
/// - Two runs at once are safe: a session advisory lock (per schema) makes the
///   second wait, and it then finds nothing pending.
public struct Migrator: Sendable {
    public let migrations: [Migration]

    public init(migrations: [Migration]) {
        self.migrations = migrations
    }

    /// What `tally migrate --status` shows for one file.
    public struct FileStatus: Sendable, Equatable {
        public enum State: String, Sendable { case applied, pending, changed, missingFile = "missing file" }
        public let version: Int
        public let name: String
        public let state: State
        public let appliedAt: String?
    }

    /// Applies what is pending; returns the names applied, in order.
    public func migrate(_ db: PostgresConnection) throws -> [String] {
        try withLock(db) {
            try createHistoryTable(db)
            let statuses = try status(db)
            if let bad = statuses.first(where: { $0.state == .changed }) {
                throw MigrationError(
                    "\(bad.name) was changed after it was applied (checksum differs); applied migrations are "
                        + "never edited: restore the file and add a new migration instead")
            }
            if let missing = statuses.first(where: { $0.state == .missingFile }) {
                throw MigrationError(
                    "the database has migration \(missing.name), which this checkout does not have; "
                        + "update the checkout before migrating")
            }
            var applied: [String] = []
            for migration in migrations where statuses.contains(where: { $0.version == migration.version && $0.state == .pending }) {
                do {
                    try db.transaction {
                        try db.executeScript(migration.sql, name: migration.name)
                        try db.execute(
                            """
                            INSERT INTO tally_migrations (version, name, checksum)
                            VALUES (\(migration.version), \(migration.name), encode(sha256(convert_to(\(migration.sql), 'UTF8')), 'hex'))
                            """)
                    }
                } catch let error as PostgresError {
                    throw MigrationError("\(migration.name) failed and was rolled back: \(error)")
                }
                applied.append(migration.name)
            }
            return applied
        }
    }

    /// Applied, pending, changed and unknown files, by version.
    public func status(_ db: PostgresConnection) throws -> [FileStatus] {
        let exists = try db.scalar("SELECT to_regclass('tally_migrations') IS NOT NULL", as: Bool.self)
        var recorded: [Int: (name: String, checksum: String, appliedAt: String)] = [:]
        if exists {
            for row in try db.execute(
                "SELECT version, name, checksum, to_char(applied_at, 'YYYY-MM-DD HH24:MI:SS') FROM tally_migrations")
            {
                recorded[try row.decode(0)] = (try row.decode(1), try row.decode(2), try row.decode(3))
            }
        }
        var result: [FileStatus] = []
        for migration in migrations {
            guard let record = recorded.removeValue(forKey: migration.version) else {
                result.append(FileStatus(version: migration.version, name: migration.name, state: .pending, appliedAt: nil))
                continue
            }
            let checksum = try db.scalar(
                "SELECT encode(sha256(convert_to(\(migration.sql), 'UTF8')), 'hex')", as: String.self)
            let state: FileStatus.State = checksum == record.checksum ? .applied : .changed
            result.append(FileStatus(version: migration.version, name: migration.name, state: state, appliedAt: record.appliedAt))
        }
        for (version, record) in recorded {
            result.append(FileStatus(version: version, name: record.name, state: .missingFile, appliedAt: record.appliedAt))
        }
        return result.sorted { $0.version < $1.version }
    }

    private func createHistoryTable(_ db: PostgresConnection) throws {
        try db.execute(
            """
            CREATE TABLE IF NOT EXISTS tally_migrations (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                checksum   text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)
    }

    /// Holds a session advisory lock keyed by the current schema for `body`.
    private func withLock<T>(_ db: PostgresConnection, _ body: () throws -> T) throws -> T {
        try db.execute("SELECT pg_advisory_lock(hashtext('tally.migrate:' || current_schema()))")
        defer { _ = try? db.execute("SELECT pg_advisory_unlock(hashtext('tally.migrate:' || current_schema()))") }
        return try body()
    }
}
