import Foundation
import Testing
import TallyDatabase
import TallyPostgres
import TallyTesting

@Suite("Migrations")
struct MigratorTests {
    static let sample = [
        Migration(version: 1, name: "0001_a.sql", sql: "CREATE TABLE a (id int PRIMARY KEY);"),
        Migration(version: 2, name: "0002_b.sql", sql: "CREATE TABLE b (id int); INSERT INTO b VALUES (1), (2);"),
    ]

    @Test func theProjectsMigrationsApplyThenNothingIsPending() async throws {
        try await TestDatabase.withSchema(migrated: false) { pool, _ in
            let migrator = Migrator(migrations: try Migration.load(from: TestDatabase.migrationsDirectory))
            #expect(!migrator.migrations.isEmpty)
            let first = try await pool.withConnection { db in try migrator.migrate(db) }
            #expect(first == migrator.migrations.map(\.name))
            let second = try await pool.withConnection { db in try migrator.migrate(db) }
            #expect(second.isEmpty)
            let states = try await pool.withConnection { db in try migrator.status(db) }.map(\.state)
            #expect(states.allSatisfy { $0 == .applied })
        }
    }

    @Test func concurrentRunsBothSucceedAndApplyOnce() async throws {
        try await TestDatabase.withSchema(migrated: false, maximumConnections: 2) { pool, _ in
            let slow = Self.sample + [Migration(version: 3, name: "0003_slow.sql", sql: "SELECT pg_sleep(0.3); CREATE TABLE c (id int);")]
            let migrator = Migrator(migrations: slow)
            async let one = pool.withConnection { db in try migrator.migrate(db) }
            async let two = pool.withConnection { db in try migrator.migrate(db) }
            let (a, b) = try await (one, two)
            #expect((a + b).sorted() == slow.map(\.name), "each file applied by exactly one of the runs")
            let recorded = try await pool.withConnection { db in try db.scalar("SELECT count(*) FROM tally_migrations", as: Int.self) }
            #expect(recorded == slow.count)
        }
    }

    @Test func anEditedAppliedMigrationIsRefusedByName() async throws {
        try await TestDatabase.withSchema(migrated: false) { pool, _ in
            _ = try await pool.withConnection { db in try Migrator(migrations: Self.sample).migrate(db) }
            let edited = [
                Self.sample[0],
                Migration(version: 2, name: "0002_b.sql", sql: "CREATE TABLE b (id bigint);"),
                Migration(version: 3, name: "0003_c.sql", sql: "CREATE TABLE c (id int);"),
            ]
            await #expect {
                try await pool.withConnection { db in try Migrator(migrations: edited).migrate(db) }
            } throws: { error in
                "\(error)".contains("0002_b.sql") && "\(error)".contains("changed")
            }
            // Nothing after it ran.
            let c = try await pool.withConnection { db in try db.scalar("SELECT to_regclass('c') IS NULL", as: Bool.self) }
            #expect(c)
            let states = try await pool.withConnection { db in try Migrator(migrations: edited).status(db) }
            #expect(states.map(\.state) == [.applied, .changed, .pending])
        }
    }

    @Test func aFailingMigrationLeavesNothingBehind() async throws {
        try await TestDatabase.withSchema(migrated: false) { pool, _ in
            let broken = Self.sample + [
                Migration(version: 3, name: "0003_broken.sql", sql: "CREATE TABLE half (id int); SELECT * FROM missing_table;")
            ]
            await #expect {
                try await pool.withConnection { db in try Migrator(migrations: broken).migrate(db) }
            } throws: { "\($0)".contains("0003_broken.sql") }
            let (halfIsAbsent, recorded) = try await pool.withConnection { db in
                (try db.scalar("SELECT to_regclass('half') IS NULL", as: Bool.self),
                 try db.scalar("SELECT count(*) FROM tally_migrations", as: Int.self))
            }
            #expect(halfIsAbsent, "partial work rolled back")
            #expect(recorded == 2)
        }
    }

    @Test func filesAreReadInVersionOrderAndMisnamedOnesRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tally-migrations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "SELECT 2;".write(to: dir.appendingPathComponent("0010_later.sql"), atomically: true, encoding: .utf8)
        try "SELECT 1;".write(to: dir.appendingPathComponent("0002_first.sql"), atomically: true, encoding: .utf8)
        try "notes".write(to: dir.appendingPathComponent("README.md"), atomically: true, encoding: .utf8)
        #expect(try Migration.load(from: dir).map(\.version) == [2, 10])
        try "SELECT 3;".write(to: dir.appendingPathComponent("0002_clash.sql"), atomically: true, encoding: .utf8)
        #expect(throws: MigrationError.self) { try Migration.load(from: dir) }
        try FileManager.default.removeItem(at: dir.appendingPathComponent("0002_clash.sql"))
        try "SELECT 3;".write(to: dir.appendingPathComponent("oops.sql"), atomically: true, encoding: .utf8)
        #expect(throws: MigrationError.self) { try Migration.load(from: dir) }
    }
}
