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

    /// The binary format: every type it writes arrives as the text format
    /// would store it, dates and instants either side of PostgreSQL's epoch
    /// and the extremes of bigint included; NUL is refused before sending.
    @Test func binaryRowsArriveAsTheTextFormatWouldStoreThem() async throws {
        try await TestDatabase.withSchema(migrated: false) { pool, _ in
            try await pool.withConnection { db in
                try db.execute("CREATE TABLE b (d date, t timestamptz, n bigint, f boolean, s text)")
                let rows: [(String, String, Int64, Bool, String)] = [
                    ("2026-11-01", "2026-11-30T23:59:59.999999Z", 0, true, "cust-1"),
                    ("1999-12-31", "1999-12-31T23:59:59Z", .max, false, "tab\tnew\nline \\N ünïcødé"),
                    ("2000-01-01", "2000-01-01T00:00:00Z", .min, true, ""),
                    ("1970-01-01", "1969-07-20T20:17:40.5Z", -1, false, "x"),
                ]
                let loaded = try db.copyInBinary("COPY b (d, t, n, f, s) FROM STDIN WITH (FORMAT binary)") { writer in
                    for row in rows {
                        writer.binaryRow(fields: 5)
                        writer.binaryField(try CivilDate(parsing: row.0))
                        writer.binaryField(try UTCTimestamp(parsing: row.1))
                        writer.binaryField(row.2)
                        writer.binaryField(row.3)
                        try writer.binaryField(utf8: Array(row.4.utf8)[...])
                        try writer.binaryEndRow()
                    }
                }
                #expect(loaded == rows.count)
                let stored = try db.execute("SELECT d, t, n, f, s FROM b")
                #expect(stored.count == rows.count)
                for row in stored {
                    let date = try row.decode(0, as: CivilDate.self).description
                    let original = try #require(rows.first { $0.0 == date })
                    #expect(try row.decode(1, as: UTCTimestamp.self) == UTCTimestamp(parsing: original.1))
                    #expect(try row.decode(2, as: Int64.self) == original.2)
                    #expect(try row.decode(3, as: Bool.self) == original.3)
                    #expect(try row.decode(4, as: String.self) == original.4)
                }
                #expect(throws: PostgresError.self) {
                    try db.copyInBinary("COPY b (s) FROM STDIN WITH (FORMAT binary)") { writer in
                        writer.binaryRow(fields: 1)
                        try writer.binaryField(utf8: [0x61, 0x00][...])
                        try writer.binaryEndRow()
                    }
                }
                #expect(try db.scalar("SELECT count(*) FROM b", as: Int64.self) == 4)
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

    /// `COPY … TO STDOUT` hands over every row as COPY text, which
    /// `append(encoded:)` loads back unchanged, in pieces cut anywhere.
    @Test func copyOutStreamsRowsThatLoadBackUnchanged() async throws {
        try await TestDatabase.withSchema(migrated: false) { pool, _ in
            try await pool.withConnection { db in
                try db.execute("CREATE TABLE t (id int, value text, at timestamptz)")
                let values: [String?] = ["tab\there", "new\nline", #"back\slash"#, "\\N", nil, "", "ünïcødé"]
                try db.copyIn("COPY t (id, value, at) FROM STDIN") { writer in
                    for i in 0..<50_000 {
                        writer.field(i)
                        try writer.field(values[i % values.count])
                        try writer.field("2026-11-03 10:15:00.\(100_000 + i % 900_000)+00")
                        try writer.endRow()
                    }
                }
                var out: [UInt8] = []
                var rows = 0
                let count = try db.copyOut("COPY (SELECT id, value, at FROM t ORDER BY id) TO STDOUT") { row in
                    #expect(row.last == 0x0A)
                    out.append(contentsOf: row)
                    rows += 1
                }
                #expect(count == 50_000 && rows == 50_000)
                try db.execute("CREATE TABLE u (LIKE t)")
                try db.copyIn("COPY u (id, value, at) FROM STDIN") { writer in
                    var start = 0
                    while start < out.count {
                        let end = min(out.count, start + 777)  // pieces that end inside rows
                        try out[start..<end].withUnsafeBytes { try writer.append(encoded: $0) }
                        start = end
                    }
                }
                #expect(try db.scalar("SELECT md5(string_agg(x::text, ',' ORDER BY id)) FROM t x", as: String.self)
                        == db.scalar("SELECT md5(string_agg(x::text, ',' ORDER BY id)) FROM u x", as: String.self))
            }
        }
    }

    /// A reader that throws ends the COPY; the connection takes the next statement.
    @Test func aThrowingReaderAbandonsTheCopyOut() async throws {
        try await TestDatabase.withSchema(migrated: false) { pool, _ in
            try await pool.withConnection { db in
                try db.execute("CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 200000) g")
                var seen = 0
                #expect(throws: Boom.self) {
                    try db.copyOut("COPY t TO STDOUT") { _ in
                        seen += 1
                        if seen == 10 { throw Boom() }
                    }
                }
                #expect(seen == 10)
                #expect(try db.scalar("SELECT count(*) FROM t", as: Int.self) == 200_000)
                // Inside a transaction too: the transaction fails, the connection does not.
                #expect(throws: Boom.self) {
                    try db.transaction {
                        try db.copyOut("COPY t TO STDOUT") { _ in throw Boom() }
                    }
                }
                #expect(try db.scalar("SELECT 1", as: Int.self) == 1)
            }
        }
    }
}
