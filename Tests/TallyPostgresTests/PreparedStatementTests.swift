import Testing
import TallyCore
import TallyPostgres
import TallyTesting

/// Prepared statements (`SQL.prepared()`, `execute(prepared:)`): planned once
/// per connection, they must answer exactly as unprepared ones, survive the
/// transaction that prepared them, and recover when a table changes under
/// them.
@Suite("Prepared statements")
struct PreparedStatementTests {
    @Test func aPreparedStatementAnswersForEachCallsValues() async throws {
        try await TestDatabase.withSchema(migrated: false) { pool, _ in
            try await pool.withConnection { db in
                try db.execute("CREATE TABLE t (id int PRIMARY KEY, name text NOT NULL)")
                for id in 1...12 {
                    try db.execute(prepared: "INSERT INTO t (id, name) VALUES (\(id), \("n\(id)"))")
                }
                // More calls than PostgreSQL's five custom plans: the generic plan answers too.
                for id in 1...12 {
                    let names = try db.execute(prepared: "SELECT name FROM t WHERE id = ANY(\([id, id + 100]))").map { try $0.decode(0, as: String.self) }
                    #expect(names == ["n\(id)"])
                }
                let counted = try db.execute(prepared: "SELECT count(*) FROM t")
                #expect(try counted.first?.decode(0, as: Int.self) == 12)
            }
        }
    }

    @Test func aStatementPreparedInARolledBackTransactionStaysUsable() async throws {
        try await TestDatabase.withSchema(migrated: false) { pool, _ in
            try await pool.withConnection { db in
                try db.execute("CREATE TABLE t (id int PRIMARY KEY)")
                #expect(throws: Boom.self) {
                    try db.transaction {
                        try db.execute(prepared: "INSERT INTO t (id) VALUES (\(1))")
                        throw Boom()
                    }
                }
                try db.execute(prepared: "INSERT INTO t (id) VALUES (\(2))")
                #expect(try db.scalar("SELECT coalesce(sum(id), 0) FROM t", as: Int.self) == 2)
            }
        }
    }

    @Test func aStatementThatFailsToPrepareIsAnErrorEachTime() async throws {
        try await TestDatabase.withSchema(migrated: false) { pool, _ in
            try await pool.withConnection { db in
                for _ in 1...2 {
                    do {
                        try db.execute(prepared: "SELECT * FROM no_such_table WHERE id = \(1)")
                        Issue.record("expected an undefined table")
                    } catch SQLState.undefinedTable {
                        // refused when prepared, and not remembered as prepared
                    }
                }
            }
        }
    }

    @Test func aTableChangedUnderAPreparedStatementFailsOnceThenIsPreparedAnew() async throws {
        try await TestDatabase.withSchema(migrated: false) { pool, _ in
            try await pool.withConnection { db in
                try db.execute("CREATE TABLE t (id int PRIMARY KEY)")
                try db.execute("INSERT INTO t VALUES (1)")
                let select: SQL = "SELECT * FROM t WHERE id = \(1)"
                #expect(try db.execute(select.prepared()).columnCount == 1)
                try db.execute("ALTER TABLE t ADD COLUMN name text")
                do {
                    try db.execute(select.prepared())
                    Issue.record("expected PostgreSQL to refuse the changed result type")
                } catch SQLState.featureNotSupported {
                    // "cached plan must not change result type"
                }
                #expect(try db.execute(select.prepared()).columnCount == 2)
            }
        }
    }
}
