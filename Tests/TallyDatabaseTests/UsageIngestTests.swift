import Foundation
import Testing
import TallyCore
import TallyDatabase
import TallyPostgres
import TallyTesting

@Suite("Usage ingestion")
struct UsageIngestTests {
    static let customers = """
        id,name,billing_email,country,vat_id,tax_treatment,currency,card
        acme,Acme AI,billing@acme.ai,US,,standard,USD,
        beta,Beta,billing@beta.io,US,,standard,USD,
        """

    func withSetup<T>(_ body: (ConnectionPool, TemporaryFiles) async throws -> T) async throws -> T {
        let temp = try TemporaryFiles(["public.yaml": RateCardFileTests.good, "customers.csv": Self.customers])
        defer { temp.remove() }
        return try await TestDatabase.withSchema { pool, _ in
            try await pool.withConnection { db in
                _ = try RateCardStore(db).load(RateCardFile.parseAll(path: temp.path("public.yaml")).cards)
                _ = try CustomerStore(db).importFile(temp.path("customers.csv"))
            }
            return try await body(pool, temp)
        }
    }

    static func event(_ id: String, customer: String = "acme", at: String = "2026-11-03T10:15:00Z", input: Int = 100, output: Int = 10, tag: String? = nil) -> String {
        var text = #"{"id":"\#(id)","customer":"\#(customer)","model":"m","timestamp":"\#(at)","input_tokens":\#(input),"cached_input_tokens":0,"output_tokens":\#(output),"site":"us-1""#
        if let tag { text += #","tag":"\#(tag)""# }
        return text + "}"
    }

    @Test func duplicatesAreCountedOnceAndBadLinesRejectedWithReasons() async throws {
        try await withSetup { pool, temp in
            let lines = [
                Self.event("e1", tag: "key-a"), Self.event("e2"), Self.event("e1", tag: "key-a"), "",
                #"{"id":"x","customer":"acme","model":"m","timestamp":"2026-11-03T10:15:00Z","output_tokens":-1,"site":"s"}"#,
                #"{"id":"y","customer":"zed","model":"m","timestamp":"2026-11-03T10:15:00Z","site":"s"}"#,
                #"{"id":"z","customer":"acme","model":"nope","timestamp":"2026-11-03T10:15:00Z","site":"s"}"#,
                #"{"id":"w","customer":"acme","model":"m","timestamp":"2026-11-03T10:15:00Z","site":"s","output_tokens":100000001}"#,
                #"{"id":"v","customer":"acme","model":"m","timestamp":"2026-11-03T10:15:00Z","site":"s","extra":{"a":1}}"#,
                #"{"id":"u" "customer":"acme"}"#, "[1,2,3]", #"{"id":"t","customer":"acme","model":"m","timestamp":"soon","site":"s"}"#,
                #"{"id":"s","id":"s2","customer":"acme","model":"m","timestamp":"2026-11-03T10:15:00Z","site":"s"}"#,
                #"{"id":"\u0041","customer":"acme","model":"m","timestamp":"2026-11-03T11:00:00+01:00","site":"s","future_field":true}"#,
            ]
            try temp.write("e.ndjson", lines.joined(separator: "\n") + "\n")
            let s = try await pool.withConnection { db in
                try UsageIngester(db).ingest(path: temp.path("e.ndjson"), format: .ndjson, rejectsPath: temp.path("r.ndjson"))
            }
            #expect(s.lines == 13 && s.accepted == 3 && s.duplicates == 1 && s.rejected == 9)
            let rejects = try String(contentsOfFile: temp.path("r.ndjson"), encoding: .utf8).split(separator: "\n")
            #expect(rejects.count == 9)
            for (line, reason) in [(5, "is negative"), (6, "unknown customer 'zed'"), (7, "unknown model 'nope'"), (8, "is absurd"),
                                   (9, "nested objects and arrays"), (10, "malformed JSON"), (11, "an event is a JSON object"),
                                   (12, "is not RFC 3339"), (13, "\\\"id\\\" given twice")] {
                #expect(rejects.contains { $0.hasPrefix("{\"line\":\(line),") && $0.contains(reason) }, "line \(line): \(reason)")
            }
            // Re-ingesting the same file lands nothing new.
            let again = try await pool.withConnection { db in
                try UsageIngester(db).ingest(path: temp.path("e.ndjson"), format: .ndjson, rejectsPath: temp.path("r.ndjson"))
            }
            #expect(again.accepted == 0 && again.duplicates == 4)
            let rollup = try await pool.withConnection { db in
                try UsageStore(db).summary(customer: "acme", month: try BillingMonth(parsing: "2026-11"), by: .tag)
            }
            #expect(rollup.map(\.key) == ["(untagged)", "key-a"])
            #expect(rollup.map(\.events) == [2, 1])
            #expect(rollup[0].tokens == TokenCounts(input: 100, cachedInput: 0, output: 10))
        }
    }

    /// Marks a customer's invoice of a month as finalized, as `tally invoice
    /// finalize` would leave it (only what ingest looks at).
    static func finalizeByHand(_ db: PostgresConnection, customer: String, period: String) throws {
        try db.execute(
            """
            INSERT INTO invoices (customer_id, period, status, number, currency, issue_date, issuer, customer,
                                  lines, taxes, tag_usage, subtotal, credits_total, tax_total, total)
            VALUES (\(customer), \(period)::date, 'finalized', \("INV-TEST-" + customer + period), 'USD', \(period)::date, '{}', '{}',
                    '[]', '[]', '[]', 0, 0, 0, 0)
            """)
    }

    /// Rows of the rollup that differ from a GROUP BY over the raw events (0 when exact).
    static func rollupDrift(_ db: PostgresConnection) throws -> Int {
        try db.scalar(
            """
            SELECT count(*) FROM (
                (SELECT customer_id, date_trunc('hour', occurred_at), model, site_id, tag, billing_month, sum(input_tokens),
                        sum(cached_input_tokens), sum(output_tokens), count(*)
                 FROM usage_events GROUP BY 1, 2, 3, 4, 5, 6
                 EXCEPT SELECT customer_id, hour, model, site_id, tag, billing_month, input_tokens, cached_input_tokens, output_tokens, events
                 FROM usage_hourly)
                UNION ALL
                (SELECT customer_id, hour, model, site_id, tag, billing_month, input_tokens, cached_input_tokens, output_tokens, events
                 FROM usage_hourly
                 EXCEPT SELECT customer_id, date_trunc('hour', occurred_at), model, site_id, tag, billing_month, sum(input_tokens),
                        sum(cached_input_tokens), sum(output_tokens), count(*)
                 FROM usage_events GROUP BY 1, 2, 3, 4, 5, 6)) x
            """, as: Int.self)
    }

    /// 5,000 events over three months (one closed), the first 2,000 with
    /// fresh ids and the rest re-sending some: with small batches and a small
    /// rollup limit, the copy path runs for a few batches, a batch is refused
    /// and redone through staging, months open new partitions mid-input, and
    /// the rollup is written out several times. Counts and rollup stay exact.
    @Test(arguments: [(200_000, 500_000), (300, 50), (1, 1)])
    func theRollupMatchesTheRawEventsExactly(batchSize: Int, rollupLimit: Int) async throws {
        try await withSetup { pool, temp in
            try await pool.withConnection { db in
                try Self.finalizeByHand(db, customer: "acme", period: "2026-10-01")
            }
            var random = SeededRandom(seed: 5)
            var lines: [String] = []
            for i in 0..<5_000 {
                let month = [10, 11, 12][Int.random(in: 0...2, using: &random)]
                let day = Int.random(in: 1...30, using: &random)
                let hour = Int.random(in: 0...23, using: &random)
                let at = "2026-\(month)-\(day < 10 ? "0" : "")\(day)T\(hour < 10 ? "0" : "")\(hour):\(Int.random(in: 10...59, using: &random)):00Z"
                let id = i < 2_000 ? "e\(i)" : "e\(Int.random(in: 0..<4_000, using: &random))"  // later ones re-send some
                lines.append(Self.event(id, customer: i % 3 == 0 ? "beta" : "acme", at: at, input: Int.random(in: 0...9_999, using: &random),
                                        output: Int.random(in: 0...999, using: &random), tag: i % 2 == 0 ? "k\(i % 7)" : nil))
            }
            try temp.write("e.ndjson", lines.joined(separator: "\n"))
            let s = try await pool.withConnection { db in
                var ingester = UsageIngester(db)
                ingester.batchSize = batchSize
                ingester.rollupLimit = rollupLimit
                return try ingester.ingest(path: temp.path("e.ndjson"), format: .ndjson, rejectsPath: temp.path("r.ndjson"))
            }
            let stored = try await pool.withConnection { db in
                try db.execute("SELECT count(*)::bigint, count(*) FILTER (WHERE late)::bigint FROM usage_events")[0]
            }
            #expect(s.lines == 5_000 && s.rejected == 0 && s.accepted + s.duplicates == 5_000)
            let (storedEvents, storedLate) = (try stored.decode(0, as: Int.self), try stored.decode(1, as: Int.self))
            #expect(s.accepted == storedEvents && s.late == storedLate)
            #expect(s.duplicates > 0 && s.late > 0)
            let drift = try await pool.withConnection { db in try Self.rollupDrift(db) }
            #expect(drift == 0)
        }
    }

    @Test func eventsOfAClosedMonthAreKeptAndMarkedLate() async throws {
        try await withSetup { pool, temp in
            try await pool.withConnection { db in
                try Self.finalizeByHand(db, customer: "acme", period: "2026-10-01")
            }
            try temp.write("e.ndjson", [Self.event("old", at: "2026-10-31T23:59:59Z"), Self.event("new", at: "2026-11-01T00:00:00Z")].joined(separator: "\n"))
            let s = try await pool.withConnection { db in
                try UsageIngester(db).ingest(path: temp.path("e.ndjson"), format: .ndjson, rejectsPath: temp.path("r.ndjson"))
            }
            #expect(s.accepted == 2 && s.late == 1)
            let late = try await pool.withConnection { db in
                try db.execute("SELECT event_id, late FROM usage_events ORDER BY event_id").map { "\(try $0.decode(0, as: String.self))=\(try $0.decode(1, as: Bool.self))" }
            }
            #expect(late == ["new=false", "old=true"])
            // Late usage of October is billed on acme's next open invoice: November's.
            let billing = try await pool.withConnection { db in
                try db.execute("SELECT hour, billing_month FROM usage_hourly ORDER BY hour").map { "\(try $0.decode(0, as: UTCTimestamp.self)) -> \(try $0.decode(1, as: CivilDate.self))" }
            }
            #expect(billing == ["2026-10-31T23:00:00Z -> 2026-11-01", "2026-11-01T00:00:00Z -> 2026-11-01"])
        }
    }

    @Test func csvInputWorksLikeNDJSON() async throws {
        try await withSetup { pool, temp in
            try temp.write("e.csv", """
                id,customer,model,timestamp,input_tokens,cached_input_tokens,output_tokens,site,tag
                c1,acme,m,2026-11-03T10:00:00Z,10,5,1,us-1,"key, with comma"
                c2,acme,m,2026-11-03T10:00:00Z,-1,0,0,us-1,
                c1,acme,m,2026-11-03T10:00:00Z,10,5,1,us-1,"key, with comma"
                """)
            let s = try await pool.withConnection { db in
                try UsageIngester(db).ingest(path: temp.path("e.csv"), format: .csv, rejectsPath: temp.path("r.ndjson"))
            }
            #expect(s.accepted == 1 && s.duplicates == 1 && s.rejected == 1)
            let tag = try await pool.withConnection { db in try db.scalar("SELECT tag FROM usage_hourly", as: String.self) }
            #expect(tag == "key, with comma")
        }
    }

    @Test func aMillionEventsIngestInOneGo() async throws {
        try await withSetup { pool, temp in
            let path = temp.path("million.ndjson")
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            var chunk = ""
            for i in 0..<1_000_000 {
                let hour = i % 720
                chunk += #"{"id":"e\#(i)","customer":"\#(i % 2 == 0 ? "acme" : "beta")","model":"m","timestamp":"2026-11-\#(String(format: "%02d", hour / 24 + 1))T\#(String(format: "%02d", hour % 24)):00:00Z","input_tokens":\#(i % 1000),"output_tokens":1,"site":"us-1"}"# + "\n"
                if chunk.utf8.count > 1 << 20 {
                    handle.write(Data(chunk.utf8))
                    chunk = ""
                }
            }
            handle.write(Data(chunk.utf8))
            try handle.close()
            let s = try await pool.withConnection { db in
                try UsageIngester(db).ingest(path: path, format: .ndjson, rejectsPath: temp.path("r.ndjson"))
            }
            #expect(s.accepted == 1_000_000 && s.rejected == 0 && s.duplicates == 0)
            let totals = try await pool.withConnection { db in
                try db.execute("SELECT sum(events)::bigint, sum(input_tokens)::bigint, sum(output_tokens)::bigint FROM usage_hourly")[0]
            }
            #expect(try totals.decode(0, as: Int.self) == 1_000_000)
            #expect(try totals.decode(1, as: Int.self) == 499_500_000)
            #expect(try totals.decode(2, as: Int.self) == 1_000_000)
        }
    }
}
