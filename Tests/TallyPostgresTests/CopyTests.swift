import Testing
import TallyCore
import TallyPostgres
import TallyTesting

@Suite("COPY FROM STDIN")
struct CopyTests {
    @Test func copiesAMillionRows() async throws {
        try await TestDatabase.withSchema(migrated: false) { pool, _ in
            try await pool.withConnection { db in
                try db.execute("CREATE TABLE events (id bigint PRIMARY KEY, customer text NOT NULL, tokens bigint, price numeric)")
                let price = try ExactDecimal(parsing: "0.000125")
                let count = 1_000_000
                let loaded = try db.copyIn("COPY events (id, customer, tokens, price) FROM STDIN") { writer in
                    for i in 0..<count {
                        writer.field(i)
                        try writer.field("cust-\(i % 200)")
                        writer.field(i % 1000)
                        try writer.field(price)
                        try writer.endRow()
                    }
                }
                #expect(loaded == count)
                let row = try #require(try db.execute("SELECT count(*), sum(tokens)::bigint, sum(price) FROM events").first)
                #expect(try row.decode(0, as: Int.self) == count)
                #expect(try row.decode(1, as: Int.self) == (0..<count).reduce(0) { $0 + $1 % 1000 })
                #expect(try row.decode(2, as: ExactDecimal.self) == price * ExactDecimal(count))
            }
        }
    }

    @Test func escapesEveryAwkwardValue() async throws {
        try await TestDatabase.withSchema(migrated: false) { pool, _ in
            try await pool.withConnection { db in
                try db.execute("CREATE TABLE t (id int, value text)")
                let values: [String?] = ["tab\there", "new\nline", #"back\slash"#, "\\N", nil, "", "cr\rhere", "ünïcødé"]
                try db.copyIn("COPY t (id, value) FROM STDIN") { writer in
                    for (i, value) in values.enumerated() {
                        writer.field(i)
                        try writer.field(value)
                        try writer.endRow()
                    }
                }
                let back = try db.execute("SELECT value FROM t ORDER BY id").map { try $0.decode(0, as: String?.self) }
                #expect(back == values)
            }
        }
    }

    @Test func aThrowingWriterAbortsTheCopyAndKeepsNothing() async throws {
        try await TestDatabase.withSchema(migrated: false) { pool, _ in
            try await pool.withConnection { db in
                try db.execute("CREATE TABLE t (id int)")
                #expect(throws: Boom.self) {
                    try db.copyIn("COPY t (id) FROM STDIN") { writer in
                        for i in 0..<100_000 {
                            writer.field(i)
                            try writer.endRow()
                        }
                        throw Boom()
                    }
                }
                #expect(try db.scalar("SELECT count(*) FROM t", as: Int.self) == 0)
                // A bad row reported by the server fails the whole COPY.
                #expect {
                    try db.copyIn("COPY t (id) FROM STDIN") { writer in
                        try writer.row(["1"])
                        try writer.row(["not a number"])
                    }
                } throws: { SQLState.invalidTextRepresentation ~= $0 }
                #expect(try db.scalar("SELECT count(*) FROM t", as: Int.self) == 0)
                try db.execute("INSERT INTO t VALUES (1)")  // the connection is still good
            }
        }
    }
}
