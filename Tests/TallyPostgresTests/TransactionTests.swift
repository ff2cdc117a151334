import Testing
import TallyCore
import TallyPostgres
import TallyTesting

struct Boom: Error {}

@Suite("Transactions, savepoints and SQLSTATE errors")
struct TransactionTests {
    @Test func aThrownErrorRollsBackEverything() async throws {
        try await TestDatabase.withSchema(migrated: false) { pool, _ in
            try await pool.withConnection { db in
                try db.execute("CREATE TABLE t (id int PRIMARY KEY)")
                #expect(throws: Boom.self) {
                    try db.transaction {
                        try db.execute("INSERT INTO t VALUES (1)")
                        throw Boom()
                    }
                }
                #expect(try db.scalar("SELECT count(*) FROM t", as: Int.self) == 0)
                #expect(!db.isInTransaction)
            }
        }
    }

    @Test func aFailedStatementRollsBackTheTransaction() async throws {
        try await TestDatabase.withSchema(migrated: false) { pool, _ in
            try await pool.withConnection { db in
                try db.execute("CREATE TABLE t (id int PRIMARY KEY)")
                do {
                    try db.transaction {
                        try db.execute("INSERT INTO t VALUES (1)")
                        try db.execute(("INSERT INTO t VALUES (1)" as SQL).named("insert duplicate"))
                    }
                    Issue.record("expected a unique violation")
                } catch SQLState.uniqueViolation {
                    // matched by SQLSTATE in catch
                }
                #expect(try db.scalar("SELECT count(*) FROM t", as: Int.self) == 0)
                // The connection is usable again.
                try db.execute("INSERT INTO t VALUES (2)")
            }
        }
    }

    @Test func savepointsUndoOnlyTheirPart() async throws {
        try await TestDatabase.withSchema(migrated: false) { pool, _ in
            try await pool.withConnection { db in
                try db.execute("CREATE TABLE t (id int PRIMARY KEY)")
                try db.transaction {
                    try db.execute("INSERT INTO t VALUES (1)")
                    #expect(throws: PostgresError.self) {
                        try db.savepoint {
                            try db.execute("INSERT INTO t VALUES (2)")
                            try db.execute("INSERT INTO t VALUES (1)")
                        }
                    }
                    // Nested transaction() becomes a savepoint too.
                    try db.transaction { try db.execute("INSERT INTO t VALUES (3)") }
                }
                let ids = try db.execute("SELECT id FROM t ORDER BY id").map { try $0.decode(0, as: Int.self) }
                #expect(ids == [1, 3])
            }
        }
    }

    @Test func errorsCarrySQLStateDetailAndStatement() async throws {
        try await TestDatabase.withSchema(migrated: false) { pool, _ in
            try await pool.withConnection { db in
                try db.execute("CREATE TABLE t (id int PRIMARY KEY, n int CHECK (n > 0))")
                try db.execute("INSERT INTO t VALUES (1, 1)")
                do {
                    try db.execute(("INSERT INTO t VALUES (\(1), \(5))" as SQL).named("t.insert"))
                    Issue.record("expected an error")
                } catch let error as PostgresError {
                    #expect(error.code == .server)
                    #expect(error.sqlState == .uniqueViolation)
                    #expect(error.statement == "t.insert")
                    #expect(error.constraint == "t_pkey")
                    #expect(error.detail?.contains("(id)=(1)") == true)
                }
                #expect { try db.execute("INSERT INTO t VALUES (2, -1)") } throws: { SQLState.checkViolation ~= $0 }
                #expect { try db.execute("SELEC 1") } throws: { SQLState.syntaxError ~= $0 }
                #expect { try db.execute("SELECT * FROM nowhere") } throws: { SQLState.undefinedTable ~= $0 }
                #expect { try db.execute("SELECT 1/0") } throws: { SQLState.divisionByZero ~= $0 }
                #expect {
                    try db.execute("DO $$ BEGIN RAISE EXCEPTION 'finalized invoices are immutable'; END $$")
                } throws: { error in
                    SQLState.raiseException ~= error && "\(error)".contains("finalized invoices are immutable")
                }
            }
        }
    }

    @Test func connectionErrorsNeverShowThePassword() throws {
        let configuration = PostgresConfiguration(url: "postgresql://alice:s3cr3t-pw@127.0.0.1:1/tally?connect_timeout=2")
        do {
            _ = try PostgresConnection(configuration: configuration)
            Issue.record("expected a connection error")
        } catch {
            #expect(error.code == .connection)
            #expect(!error.description.contains("s3cr3t-pw"))
            #expect(error.description.contains("user=alice"))
        }
        #expect(!PostgresConfiguration(url: "host=x password=hunter2 user=bob").redactedTarget.contains("hunter2"))
    }
}
