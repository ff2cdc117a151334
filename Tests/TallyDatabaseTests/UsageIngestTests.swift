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
                try UsageIngester(db).ingest(path: temp.path("e.ndjson"), format: .ndjson, rejectsPath: temp.path("r.ndjson"), now: TestClock.now)
            }
            #expect(s.lines == 13 && s.accepted == 3 && s.duplicates == 1 && s.rejected == 9)
            let rejects = try String(contentsOfFile: temp.path("r.ndjson"), encoding: .utf8).split(separator: "\n")
            #expect(rejects.count == 9)
            for (line, reason) in [(5, "is negative"), (6, "unknown customer 'zed'"), (7, "unknown model 'nope'"), (8, "is absurd"),
                                   (9, "nested objects and arrays"), (10, "malformed JSON"), (11, "an event is a JSON object"),
                                   (12, "is not a timestamp with a zone"), (13, "\\\"id\\\" given twice")] {
                #expect(rejects.contains { $0.hasPrefix("{\"line\":\(line),") && $0.contains(reason) }, "line \(line): \(reason)")
            }
            // Re-ingesting the same file lands nothing new.
            let again = try await pool.withConnection { db in
                try UsageIngester(db).ingest(path: temp.path("e.ndjson"), format: .ndjson, rejectsPath: temp.path("r.ndjson"), now: TestClock.now)
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
    /// the rollup is written out several times. Counts and rollup stay exact,
    /// whether the rollup goes as bound arrays or staged by COPY
    /// (`boundRollupLimit` 0).
    @Test(arguments: [(200_000, 500_000, 20_000), (200_000, 500_000, 0), (300, 50, 20_000), (300, 50, 0), (1, 1, 20_000)])
    func theRollupMatchesTheRawEventsExactly(batchSize: Int, rollupLimit: Int, boundRollupLimit: Int) async throws {
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
                let line = Self.event("e\(i)", customer: i % 3 == 0 ? "beta" : "acme", at: at, input: Int.random(in: 0...9_999, using: &random),
                                      output: Int.random(in: 0...999, using: &random), tag: i % 2 == 0 ? "k\(i % 7)" : nil)
                // Later ones re-send some earlier events, as they were (a re-send
                // with other content is a conflict: UsageIntegrityTests).
                lines.append(i >= 2_000 && Bool.random(using: &random) ? lines[Int.random(in: 0..<lines.count, using: &random)] : line)
            }
            try temp.write("e.ndjson", lines.joined(separator: "\n"))
            let s = try await pool.withConnection { db in
                var ingester = UsageIngester(db)
                ingester.batchSize = batchSize
                ingester.rollupLimit = rollupLimit
                ingester.boundRollupLimit = boundRollupLimit
                return try ingester.ingest(path: temp.path("e.ndjson"), format: .ndjson, rejectsPath: temp.path("r.ndjson"), now: TestClock.now)
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
                try UsageIngester(db).ingest(path: temp.path("e.ndjson"), format: .ndjson, rejectsPath: temp.path("r.ndjson"), now: TestClock.now)
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
                try UsageIngester(db).ingest(path: temp.path("e.csv"), format: .csv, rejectsPath: temp.path("r.ndjson"), now: TestClock.now)
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
                try UsageIngester(db).ingest(path: path, format: .ndjson, rejectsPath: temp.path("r.ndjson"), now: TestClock.now)
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

    // MARK: Inputs that crashed, failed the whole file, or were accepted but wrong (issue 14)

    func ingest(_ pool: ConnectionPool, _ path: String, format: UsageIngester.Format = .ndjson, strict: Bool = false)
        async throws -> UsageIngester.Summary
    {
        try await pool.withConnection { db in
            var ingester = UsageIngester(db)
            ingester.strict = strict
            return try ingester.ingest(path: path, format: format, rejectsPath: path + ".rejects", now: TestClock.now)
        }
    }

    /// The rejects file as (line, reason) pairs.
    static func rejects(_ path: String) throws -> [(line: Int, reason: String)] {
        try String(contentsOfFile: path + ".rejects", encoding: .utf8).split(separator: "\n").map { text in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            return (try #require(object["line"] as? Int), try #require(object["reason"] as? String))
        }
    }

    /// A zone carried `0001-01-01T00:00:00+01:00` into year 0 and
    /// `9999-12-31T23:30:00-01:00` into year 10000, and ingest trapped in
    /// `BillingMonth` (the whole file lost, no rejects file); 1900, 1970 and
    /// 2999 were stored, in partitions no invoice run bills. Now every event
    /// outside [now − 400 days, now + 5 minutes] is rejected with the reason.
    @Test(arguments: [UsageIngester.Format.ndjson, .csv])
    func timestampsOutsideTheWindowAreRejectedWithTheReason(format: UsageIngester.Format) async throws {
        #expect(TestClock.now.description == "2027-01-15T12:00:00Z")
        try await withSetup { pool, temp in
            let stamps = [
                "2026-12-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "9999-12-31T23:30:00-01:00", "1900-01-01T00:00:00Z",
                "1970-01-01T00:00:00Z", "2999-01-01T00:00:00Z", "2025-12-11T12:00:00Z", "2025-12-11T11:59:59Z",
                "2027-01-15T12:05:00Z", "2027-01-15T12:05:00.000001Z",
            ]
            let name = format == .csv ? "e.csv" : "e.ndjson"
            if format == .csv {
                try temp.write(name, (["id,customer,model,timestamp,input_tokens,site"]
                    + stamps.enumerated().map { "w\($0),acme,m,\($1),5,us-1" }).joined(separator: "\n"))
            } else {
                try temp.write(name, stamps.enumerated().map { Self.event("w\($0)", at: $1) }.joined(separator: "\n"))
            }
            let s = try await ingest(pool, temp.path(name), format: format)
            #expect(s.accepted == 3 && s.rejected == 7)
            let rejects = try Self.rejects(temp.path(name))
            let first = format == .csv ? 2 : 1  // the CSV header is line 1
            #expect(rejects.map(\.line) == [1, 2, 3, 4, 5, 7, 9].map { $0 + first })
            for reject in rejects {
                #expect(reject.reason.hasPrefix(#""timestamp" '"#))
                #expect(reject.reason.contains("is outside the accepted window 2025-12-11T12:00:00Z – 2027-01-15T12:05:00Z"), "\(reject.reason)")
            }
            let months = try await pool.withConnection { db in
                try db.execute("SELECT DISTINCT month FROM usage_events ORDER BY 1").map { try $0.decode(0, as: CivilDate.self).description }
            }
            #expect(months == ["2025-12-01", "2026-12-01", "2027-01-01"])
        }
    }

    /// Each of these failed the whole file in PostgreSQL with an error naming
    /// neither file nor line: invalid UTF-8 in id, site or tag, an offset
    /// beyond ±15:59, NUL (a NUL byte in CSV, `\u0000` in JSON). Now each is
    /// one rejected line with its number and reason, and the rest land.
    @Test func oneBadLineIsRejectedAloneNDJSON() async throws {
        try await withSetup { pool, temp in
            func line(_ text: String) -> [UInt8] { Array(text.utf8) }
            let invalid: [UInt8] = [0xFF, 0xC3]  // not UTF-8
            let lines: [[UInt8]] = [
                line(Self.event("g1")),
                line(#"{"id":""#) + invalid + line(#"","customer":"acme","model":"m","timestamp":"2026-11-03T10:15:00Z","site":"s"}"#),
                line(#"{"id":"b2","customer":"acme","model":"m","timestamp":"2026-11-03T10:15:00Z","site":"s"#) + invalid + line(#""}"#),
                line(#"{"id":"b3","customer":"acme","model":"m","timestamp":"2026-11-03T10:15:00Z","site":"s","tag":""#) + invalid + line(#""}"#),
                line(Self.event("b4", at: "2026-11-03T10:15:00+16:00")),
                line(#"{"id":"b5\u0000","customer":"acme","model":"m","timestamp":"2026-11-03T10:15:00Z","site":"s"}"#),
                line(Self.event("b6", tag: #"\ud83d"#)),
                line(Self.event("g2", tag: #"\ud83d\ude00"#).dropLast() + #","note":"\udead","x":"\u00e9"}"#),
                line(Self.event("g3")),
            ]
            let path = temp.path("e.ndjson")
            try Data(lines.joined(separator: [0x0A])).write(to: URL(fileURLWithPath: path))
            let s = try await ingest(pool, path)
            #expect(s.lines == 9 && s.accepted == 3 && s.rejected == 6)
            let rejects = try Self.rejects(path)
            #expect(rejects.map(\.line) == [2, 3, 4, 5, 6, 7])
            #expect(rejects.map(\.reason) == [
                #""id" is not valid UTF-8"#, #""site" is not valid UTF-8"#, #""tag" is not valid UTF-8"#,
                #""timestamp" '2026-11-03T10:15:00+16:00' has a UTC offset beyond ±15:59"#,
                #""id" holds a NUL character (\u0000), which cannot be stored"#,
                #""tag" holds an unpaired surrogate (\uD83D), which cannot be stored"#,
            ])
            // A surrogate pair is one character (U+1F600), read as JSON says.
            let tags = try await pool.withConnection { db in
                try db.execute("SELECT event_id, tag FROM usage_events ORDER BY event_id").map { "\(try $0.decode(0, as: String.self))=\(try $0.decode(1, as: String.self))" }
            }
            #expect(tags == ["g1=", "g2=\u{1F600}", "g3="])
        }
    }

    @Test func oneBadRowIsRejectedAloneCSV() async throws {
        try await withSetup { pool, temp in
            let rows = [
                "id,customer,model,timestamp,input_tokens,site,tag",
                "g1,acme,m,2026-11-03T10:00:00Z,5,us-1,",
                "b1,acme,m,2026-11-03T10:00:00Z,5,us\u{0}1,",
                "b2,acme,m,2026-11-03T10:00:00Z,5,us-1,\u{1}BAD",
                "b3,acme,m,2026-11-03T10:00:00+16:00,5,us-1,",
                "g2,acme,m,2026-11-03T10:00:00Z,5,us-1,\"quoted, \u{1F600}\"",
            ]
            var bytes = Array(rows.joined(separator: "\n").utf8)
            let marker = bytes.firstIndex(of: 0x01)!
            bytes.replaceSubrange(marker...marker, with: [0xFF])  // invalid UTF-8 in b2's tag
            let path = temp.path("e.csv")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let s = try await ingest(pool, path, format: .csv)
            #expect(s.lines == 5 && s.accepted == 2 && s.rejected == 3)
            let rejects = try Self.rejects(path)
            #expect(rejects.map(\.line) == [3, 4, 5])
            #expect(rejects.map(\.reason) == [
                "field 6 (site) holds a NUL byte, which cannot be stored", "field 7 (tag) is not valid UTF-8",
                #""timestamp" '2026-11-03T10:00:00+16:00' has a UTC offset beyond ±15:59"#,
            ])
        }
    }

    /// A CSV header naming a column twice trapped (a dictionary of unique keys).
    @Test func aCSVHeaderWithAColumnTwiceIsRefused() async throws {
        try await withSetup { pool, temp in
            try temp.write("e.csv", "id,customer,model,timestamp,ID,site\ne1,acme,m,2026-11-03T10:00:00Z,e2,s\n")
            await #expect { try await self.ingest(pool, temp.path("e.csv"), format: .csv) } throws: {
                ($0 as? ImportProblem)?.description.hasSuffix("e.csv:1: id: given twice in the header") == true
            }
            let stored = try await pool.withConnection { db in try db.scalar("SELECT count(*)::bigint FROM usage_events", as: Int.self) }
            #expect(stored == 0)
        }
    }

    /// `"output_token": 500` (a typo) billed 0 output tokens without a word.
    /// Unknown keys are still accepted (forward compatible) but counted, by
    /// key and first line; `strict` rejects the events that carry them.
    @Test func unknownKeysAreCountedAndStrictRejectsThem() async throws {
        try await withSetup { pool, temp in
            func file(_ prefix: String) -> String {
                [Self.event("\(prefix)1"), Self.event("\(prefix)2").dropLast() + #","output_token":500}"#,
                 Self.event("\(prefix)3").dropLast() + #","zz":null,"output_token":5,"output_token":6}"#, Self.event("\(prefix)4")]
                    .joined(separator: "\n")
            }
            try temp.write("lenient.ndjson", file("l"))
            try temp.write("strict.ndjson", file("s"))
            let lenient = try await ingest(pool, temp.path("lenient.ndjson"))
            #expect(lenient.accepted == 4 && lenient.rejected == 0)
            let expected = [UsageIngester.UnknownKey(key: "output_token", firstLine: 2, events: 2),
                            UsageIngester.UnknownKey(key: "zz", firstLine: 3, events: 1)]
            #expect(lenient.unknownKeys == expected)
            let strict = try await ingest(pool, temp.path("strict.ndjson"), strict: true)
            #expect(strict.accepted == 2 && strict.rejected == 2)
            #expect(strict.unknownKeys == expected)
            let rejects = try Self.rejects(temp.path("strict.ndjson"))
            #expect(rejects.map(\.line) == [2, 3])
            #expect(rejects.map(\.reason) == [#"unknown key "output_token" (--strict)"#, #"unknown key "zz" (--strict)"#])

            try temp.write("e.csv", "id,customer,model,timestamp,output_token,site\nc1,acme,m,2026-11-03T10:00:00Z,500,s\nc2,acme,m,2026-11-03T10:00:00Z,5,s\n")
            let csv = try await ingest(pool, temp.path("e.csv"), format: .csv)
            #expect(csv.accepted == 2 && csv.unknownKeys == [UsageIngester.UnknownKey(key: "output_token", firstLine: 2, events: 2)])
        }
    }
}
