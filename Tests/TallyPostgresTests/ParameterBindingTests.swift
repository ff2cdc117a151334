import Foundation
import Testing
import TallyCore
import TallyPostgres
import TallyTesting

@Suite("Parameters and decoding against PostgreSQL")
struct ParameterBindingTests {
    static let hostile: [String] = [
        "O'Brien", "'; DROP TABLE hostile; --", #"back\slash"#, #"\\double"#, "\"quoted\"", "$1", "$$dollar$$",
        "tab\tnew\nline\rreturn", "naïve café 日本語 🚀", "", " ", "%_like%", "\u{7F}\u{1}", "E'\\x00'",
        String(repeating: "x", count: 100_000),
    ]

    @Test func hostileStringsRoundTripUnchanged() async throws {
        try await TestDatabase.withSchema(migrated: false) { pool, _ in
            try await pool.withConnection { db in
                try db.execute("CREATE TABLE hostile (id int PRIMARY KEY, value text NOT NULL)")
                for (id, value) in Self.hostile.enumerated() {
                    #expect(try db.scalar("SELECT \(value)::text", as: String.self) == value)
                    try db.execute("INSERT INTO hostile (id, value) VALUES (\(id), \(value))")
                }
                let stored = try db.execute("SELECT value FROM hostile ORDER BY id").map { try $0.decode(0, as: String.self) }
                #expect(stored == Self.hostile)
                #expect(try db.scalar("SELECT count(*) FROM hostile", as: Int.self) == Self.hostile.count)
            }
        }
    }

    @Test func nulBytesAreRejectedBeforeSending() async throws {
        try await TestDatabase.withSchema(migrated: false) { pool, _ in
            try await pool.withConnection { db in
                try db.execute("CREATE TABLE t (value text)")
                #expect {
                    try db.execute("INSERT INTO t VALUES (\("before\u{0}after"))")
                } throws: { ($0 as? PostgresError)?.code == .invalidParameter }
                #expect(try db.scalar("SELECT count(*) FROM t", as: Int.self) == 0)
            }
        }
    }

    @Test func numericRoundTripsAtFullPrecision() async throws {
        try await TestDatabase.withSchema(migrated: false) { pool, _ in
            try await pool.withConnection { db in
                var random = SeededRandom(seed: 11)
                var values = (0..<2_000).map { _ in random.decimal(integerDigits: 20, places: 18) }
                values += [.max, .min, ExactDecimal(units: 1), .zero]
                try db.execute("CREATE TABLE amounts (id int PRIMARY KEY, amount numeric NOT NULL)")
                for (id, value) in values.enumerated() {
                    try db.execute("INSERT INTO amounts VALUES (\(id), \(value))")
                }
                let back = try db.execute("SELECT amount FROM amounts ORDER BY id").map { try $0.decode(0, as: ExactDecimal.self) }
                #expect(back == values)
                // PostgreSQL's exact sum equals ours, digit for digit (values below
                // 10¹⁶, so 2,000 of them cannot leave the range).
                let limit = ExactDecimal(10_000_000_000_000_000)
                let small = values.filter { $0.magnitude < limit }
                let sum = try db.scalar("SELECT sum(amount) FROM amounts WHERE abs(amount) < \(limit)", as: ExactDecimal.self)
                #expect(try sum == small.sum())
                // A sum beyond the range is an error, never a wrapped or rounded number.
                #expect {
                    try db.scalar("SELECT sum(amount) FROM amounts WHERE amount > 0", as: ExactDecimal.self)
                } throws: { ($0 as? PostgresError)?.code == .decoding }
            }
        }
    }

    @Test func floatColumnsDoNotDecodeAsMoney() async throws {
        try await TestDatabase.withSchema(migrated: false) { pool, _ in
            try await pool.withConnection { db in
                #expect {
                    try db.scalar("SELECT 0.1::float8", as: ExactDecimal.self)
                } throws: { ($0 as? PostgresError)?.code == .decoding }
            }
        }
    }

    @Test func decodesTheCommonTypes() async throws {
        try await TestDatabase.withSchema(migrated: false) { pool, _ in
            try await pool.withConnection { db in
                let id = UUID()
                let at = try UTCTimestamp(parsing: "2026-11-01T10:15:30.123456Z")
                let day = try CivilDate(parsing: "2026-02-28")
                let row = try #require(try db.execute(
                    """
                    SELECT \(Int64.max)::bigint, \(at)::timestamptz, \("text")::text, \(true)::bool, \(id)::uuid,
                           \(day)::date, \(PostgresJSON(text: #"{"price": "0.125", "n": 1}"#))::jsonb,
                           NULL::text, \(Int32(7))::int4, 'EUR'::text
                    """).first)
                #expect(try row.decode(0, as: Int64.self) == .max)
                #expect(try row.decode(1, as: UTCTimestamp.self) == at)
                #expect(try row.decode(2, as: String.self) == "text")
                #expect(try row.decode(3, as: Bool.self) == true)
                #expect(try row.decode(4, as: UUID.self) == id)
                #expect(try row.decode(5, as: CivilDate.self) == day)
                let json = try row.decode(6, as: PostgresJSON.self)
                struct Price: Decodable { let price: String; let n: Int }
                #expect(try json.decode(Price.self).price == "0.125")
                #expect(try row.decode(7, as: String?.self) == nil)
                #expect(try row.decode(8, as: Int32.self) == 7)
                #expect(try row.decode(9, as: Currency.self) == .eur)
                #expect {
                    try row.decode(7, as: String.self)
                } throws: { ($0 as? PostgresError)?.code == .decoding }
                #expect(throws: PostgresError.self) { try row.decode(2, as: Int.self) }
            }
        }
    }

    @Test func timestampsAreReadInUTCWhateverTheServerZone() async throws {
        try await TestDatabase.withSchema(migrated: false) { pool, _ in
            try await pool.withConnection { db in
                let at = try UTCTimestamp(parsing: "2026-11-01T23:30:00Z")
                try db.execute("SET TimeZone = 'Asia/Tokyo'")
                #expect(try db.scalar("SELECT \(at)::timestamptz", as: UTCTimestamp.self) == at)
                try db.execute("SET TimeZone = 'UTC'")
            }
        }
    }
}

@Suite("Array parameters")
struct ArrayParameterTests {
    @Test func arraysRoundTripThroughUnnest() async throws {
        try await TestDatabase.withSchema(migrated: false) { pool, _ in
            try await pool.withConnection { db in
                let texts = ["plain", "with \"quotes\"", #"back\slash"#, "comma,{brace}", "", "NULL", #"naïve 日本語 "ü"\"#, "🙂,🙂"]
                let back = try db.execute("SELECT x FROM unnest(\(texts)) WITH ORDINALITY AS t(x, n) ORDER BY n")
                    .map { try $0.decode(0, as: String.self) }
                #expect(back == texts)
                let times = [try UTCTimestamp(parsing: "2026-11-01T10:00:00Z"), try UTCTimestamp(parsing: "2026-11-02T00:00:00Z")]
                let count = try db.scalar("SELECT count(*) FROM unnest(\(times)) t WHERE t >= '2026-11-01'", as: Int.self)
                #expect(count == 2)
                let empty: [String] = []
                #expect(try db.scalar("SELECT count(*) FROM unnest(\(empty))", as: Int.self) == 0)
            }
        }
    }
}
