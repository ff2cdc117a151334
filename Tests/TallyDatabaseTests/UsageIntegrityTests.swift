import Foundation
import Testing
import TallyCore
import TallyDatabase
import TallyPostgres
import TallyTesting

/// Issue 16: no event counted twice across months, conflicts rejected not
/// dropped, ingest committed in chunks and resumable. Each test failed on the
/// code before (keys per month, `ON CONFLICT DO NOTHING`, one transaction).
@Suite("Usage integrity")
struct UsageIntegrityTests {
    let setup = UsageIngestTests()

    func ingest(_ pool: ConnectionPool, _ temp: TemporaryFiles, _ name: String, _ lines: [String],
                chunkEvents: Int = 1_000_000, batchSize: Int = 200_000, background: Bool = false) async throws -> UsageIngester.Summary {
        try temp.write(name, lines.joined(separator: "\n") + "\n")
        return try await pool.withConnection { db in
            var ingester = UsageIngester(db)
            ingester.chunkEvents = chunkEvents
            ingester.batchSize = batchSize
            if background { ingester.backgroundParsingFromBytes = 0 }
            return try ingester.ingest(path: temp.path(name), format: .ndjson, rejectsPath: temp.path(name + ".rejects"), now: TestClock.now)
        }
    }

    static func rejects(_ temp: TemporaryFiles, _ name: String) throws -> [(line: Int, reason: String)] {
        try UsageIngestTests.rejects(temp.path(name))
    }

    /// (events stored, events in the rollup).
    static func stored(_ pool: ConnectionPool) async throws -> (events: Int, rolled: Int) {
        try await pool.withConnection { db in
            let row = try db.execute("SELECT (SELECT count(*) FROM usage_events)::bigint, (SELECT coalesce(sum(events), 0) FROM usage_hourly)::bigint")[0]
            return (try row.decode(0, as: Int.self), try row.decode(1, as: Int.self))
        }
    }

    /// Reproduced in the issue: an event ingested in November and re-sent
    /// with a December timestamp was stored (and billed) twice, its key being
    /// per month. Now the id is found in the neighbouring month: the re-send
    /// differs (its time), so it is a conflict, rejected and not counted.
    @Test func anEventReSentWithANextMonthTimestampIsNotCountedTwice() async throws {
        try await setup.withSetup { pool, temp in
            let first = try await ingest(pool, temp, "nov.ndjson", [UsageIngestTests.event("e1", at: "2026-11-30T23:59:00Z")])
            #expect(first.accepted == 1)
            let again = try await ingest(pool, temp, "dec.ndjson", [
                UsageIngestTests.event("e1", at: "2026-12-01T00:01:00Z"),
                UsageIngestTests.event("e1", customer: "beta", at: "2026-12-01T00:01:00Z"),  // another customer's id: new
            ])
            #expect(again.accepted == 1 && again.duplicates == 0 && again.rejected == 1)
            let stored = try await Self.stored(pool)
            #expect(stored.events == 2 && stored.rolled == 2)
            // The window spans two months either side: 56 days later is still found…
            let later = try await ingest(pool, temp, "jan.ndjson", [UsageIngestTests.event("e1", at: "2027-01-10T00:00:00Z")])
            #expect(later.rejected == 1 && later.accepted == 0)
            // …and a stored re-send of the same content, two months later, is a duplicate whatever month it is read against.
            let same = try await ingest(pool, temp, "same.ndjson", [UsageIngestTests.event("e1", at: "2026-11-30T23:59:00Z")])
            #expect(same.duplicates == 1 && same.accepted == 0 && same.rejected == 0)
        }
    }

    /// The window is at least 35 days whatever the calendar: an id re-sent
    /// 35 days later in every month pair of a year is found, and one ingested
    /// in another customer's name is not.
    @Test func theWindowCoversThirtyFiveDaysAcrossEveryMonthBoundary() async throws {
        try await setup.withSetup { pool, temp in
            var firsts: [String] = []
            var resends: [String] = []
            // Firsts on the last day of each month, re-sends 35 days later (inside the accepted window).
            for (i, month) in ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08",
                               "2026-09", "2026-10", "2026-11"].enumerated() {
                let last = BillingMonth(containing: try CivilDate(parsing: month + "-01")).lastDay
                let firstAt = UTCTimestamp(date: last, hour: 23)
                let resendAt = firstAt.adding(microseconds: 35 * UTCTimestamp.microsecondsPerDay)
                guard UsageEvent.window(now: TestClock.now).contains(firstAt) else { continue }
                firsts.append(UsageIngestTests.event("w\(i)", at: firstAt.description))
                resends.append(UsageIngestTests.event("w\(i)", at: resendAt.description))
            }
            #expect(firsts.count == 11)
            let first = try await ingest(pool, temp, "first.ndjson", firsts)
            #expect(first.accepted == firsts.count)
            let again = try await ingest(pool, temp, "again.ndjson", resends)
            #expect(again.accepted == 0 && again.rejected == resends.count)
        }
    }

    /// Batches large enough to probe only the partitions that hold events
    /// (``UsageIngester``'s empty-partition check) still find an id in every
    /// month of its window: stored by an earlier ingest in another month, and
    /// written by this ingest in an earlier chunk, into a partition that was
    /// empty when the ingest began (December, created ahead of time).
    @Test func largeBatchesFindIdsInEveryMonthOfTheWindow() async throws {
        try await setup.withSetup { pool, temp in
            func padding(_ prefix: String, _ day: String) -> [String] {
                (0..<1_200).map { UsageIngestTests.event("\(prefix)\($0)", at: "2026-\(day)T10:00:00Z") }
            }
            let first = try await ingest(pool, temp, "first.ndjson", [UsageIngestTests.event("x1", at: "2026-10-15T10:00:00Z")] + padding("p", "11-02"))
            #expect(first.accepted == 1_201)
            try await pool.withConnection { db in _ = try db.execute("SELECT ensure_usage_partition('2026-12-01')") }
            // Chunks of 1,300 lines: the December events land in the first
            // chunk, their re-sends (other times: conflicts) in November come
            // in the second; x1 again, in November: found in October.
            let lines = padding("d", "12-03") + [UsageIngestTests.event("x1", at: "2026-11-20T10:00:00Z")]
                + (0..<5).map { UsageIngestTests.event("d\($0)", at: "2026-11-25T10:00:00Z") } + padding("q", "11-05")
            let second = try await ingest(pool, temp, "second.ndjson", lines, chunkEvents: 1_300, batchSize: 1_300)
            #expect(second.accepted == 2_400 && second.rejected == 6 && second.duplicates == 0)
            #expect(try Self.rejects(temp, "second.ndjson").allSatisfy { $0.reason == "duplicate id with different content" })
            let again = try await ingest(pool, temp, "again.ndjson", lines, chunkEvents: 1_300, batchSize: 1_300)
            #expect(again.accepted == 0 && again.duplicates == 2_400 && again.rejected == 6)
        }
    }

    /// The same id with other content was dropped as a duplicate without a
    /// word. Now it is rejected with the reason, in the rejects file, in the
    /// same file, in a later file and within one batch alike; an identical
    /// re-send is still a duplicate.
    @Test(arguments: [200_000, 2])
    func aConflictIsRejectedNotCountedAsADuplicate(batchSize: Int) async throws {
        try await setup.withSetup { pool, temp in
            let first = try await ingest(pool, temp, "a.ndjson", [
                UsageIngestTests.event("c1", input: 100), UsageIngestTests.event("c2"), UsageIngestTests.event("c1", input: 100),
                UsageIngestTests.event("c1", input: 101), UsageIngestTests.event("c3", tag: "key-a"),
            ], batchSize: batchSize)
            #expect(first.accepted == 3 && first.duplicates == 1 && first.rejected == 1)
            #expect(try Self.rejects(temp, "a.ndjson").map(\.line) == [4])
            #expect(try Self.rejects(temp, "a.ndjson").map(\.reason) == ["duplicate id with different content"])
            let second = try await ingest(pool, temp, "b.ndjson", [
                UsageIngestTests.event("c1", input: 100),  // the same: a duplicate
                UsageIngestTests.event("c2", output: 11),  // tokens
                UsageIngestTests.event("c3", tag: "key-b"),  // tag
                UsageIngestTests.event("c3", at: "2026-11-03T10:15:01Z", tag: "key-a"),  // time
                UsageIngestTests.event("c3", at: "2026-11-03T11:15:00+01:00", tag: "key-a"),  // the same instant: a duplicate
                UsageIngestTests.event("c4"),
            ], batchSize: batchSize)
            #expect(second.accepted == 1 && second.duplicates == 2 && second.rejected == 3)
            let rejects = try Self.rejects(temp, "b.ndjson")
            #expect(rejects.map(\.line) == [2, 3, 4])
            #expect(rejects.allSatisfy { $0.reason == "duplicate id with different content" })
            let stored = try await Self.stored(pool)
            #expect(stored.events == 4 && stored.rolled == 4)
            let drift = try await pool.withConnection { db in try UsageIngestTests.rollupDrift(db) }
            #expect(drift == 0)
        }
    }

    /// The whole file was one transaction: a failure at the end lost it all.
    /// Now each chunk commits: a failure loses only the open chunk, and the
    /// same ingest run again finishes the file, counting nothing twice.
    /// Read in the background too: the failure stops the reading thread.
    @Test(arguments: [false, true])
    func aFailedIngestResumesWhereItsLastChunkCommitted(background: Bool) async throws {
        try await setup.withSetup { pool, temp in
            let lines = (0..<10).map { UsageIngestTests.event("r\($0)", at: "2026-11-0\($0 % 9 + 1)T10:00:00Z", input: $0) }
            // A crash in the fourth chunk: the server refuses event r9.
            try await pool.withConnection { db in
                try db.execute(
                    """
                    CREATE FUNCTION test_crash() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN IF NEW.event_id = 'r9' THEN RAISE EXCEPTION 'crash'; END IF; RETURN NEW; END $$
                    """)
                try db.execute("CREATE TRIGGER test_crash BEFORE INSERT ON usage_events FOR EACH ROW EXECUTE FUNCTION test_crash()")
            }
            await #expect(throws: PostgresError.self) {
                try await ingest(pool, temp, "e.ndjson", lines, chunkEvents: 3, batchSize: 2, background: background)
            }
            let afterCrash = try await Self.stored(pool)
            #expect(afterCrash.events == 9 && afterCrash.rolled == 9)
            try await pool.withConnection { db in try db.execute("DROP TRIGGER test_crash ON usage_events") }
            let resumed = try await ingest(pool, temp, "e.ndjson", lines, chunkEvents: 3, batchSize: 2, background: background)
            #expect(resumed.accepted == 1 && resumed.duplicates == 9 && resumed.rejected == 0)
            let stored = try await Self.stored(pool)
            #expect(stored.events == 10 && stored.rolled == 10)
            let drift = try await pool.withConnection { db in try UsageIngestTests.rollupDrift(db) }
            #expect(drift == 0)
        }
    }

    /// `tally usage verify`: nothing to report on an exact rollup; one rollup
    /// row and one raw event corrupted by hand are both reported, each with
    /// both sides, and nothing of another month.
    @Test func verifyReportsACorruptedRollupRowAndACorruptedRawEvent() async throws {
        try await setup.withSetup { pool, temp in
            _ = try await ingest(pool, temp, "e.ndjson", [
                UsageIngestTests.event("v1", at: "2026-11-03T10:15:00Z", input: 100, output: 10),
                UsageIngestTests.event("v2", at: "2026-11-03T10:45:00Z", input: 50, output: 5),
                UsageIngestTests.event("v3", at: "2026-11-04T08:00:00Z", input: 7, output: 1, tag: "key-a"),
                UsageIngestTests.event("v4", at: "2026-12-01T00:00:00Z", input: 9, output: 9),
            ])
            let november = try BillingMonth(parsing: "2026-11")
            let clean = try await pool.withConnection { db in try UsageVerifier(db).verify(period: november) }
            #expect(clean.isEmpty)
            let differences = try await pool.withConnection { db in
                try db.execute("UPDATE usage_hourly SET output_tokens = output_tokens + 1 WHERE hour = '2026-11-03T10:00:00Z'")
                try db.execute("UPDATE usage_events SET input_tokens = 8 WHERE event_id = 'v3'")
                try db.execute("UPDATE usage_events SET input_tokens = 1 WHERE event_id = 'v4'")  // December: not November's
                return try UsageVerifier(db).verify(period: november)
            }
            #expect(differences.count == 2)
            #expect(differences.map(\.hour.description) == ["2026-11-03T10:00:00Z", "2026-11-04T08:00:00Z"])
            #expect(differences[0].rollup == UsageVerifier.Sums(input: 150, cachedInput: 0, output: 16, events: 2))
            #expect(differences[0].events == UsageVerifier.Sums(input: 150, cachedInput: 0, output: 15, events: 2))
            #expect(differences[1].tag == "key-a" && differences[1].rollup?.input == 7 && differences[1].events?.input == 8)
            let december = try await pool.withConnection { db in try UsageVerifier(db).verify(period: try BillingMonth(parsing: "2026-12")) }
            #expect(december.count == 1)
        }
    }

    /// Usage billed on an issued invoice could be edited or deleted by
    /// hand, changing what the invoice was based on. Now raw events and
    /// rollup rows of a billing month closed for their customer refuse
    /// UPDATE, DELETE and TRUNCATE; open months and other customers do not,
    /// and late usage of the closed month still lands (billed on the next).
    @Test func usageOfAnIssuedMonthIsFrozen() async throws {
        try await setup.withSetup { pool, temp in
            _ = try await ingest(pool, temp, "nov.ndjson", [
                UsageIngestTests.event("f1", at: "2026-11-03T10:00:00Z"), UsageIngestTests.event("f2", customer: "beta", at: "2026-11-03T10:00:00Z"),
            ])
            try await pool.withConnection { db in try UsageIngestTests.finalizeByHand(db, customer: "acme", period: "2026-11-01") }
            for statement: SQL in [
                "UPDATE usage_events SET input_tokens = 1 WHERE event_id = 'f1'", "DELETE FROM usage_events WHERE event_id = 'f1'",
                "UPDATE usage_hourly SET input_tokens = 1 WHERE customer_id = 'acme'", "DELETE FROM usage_hourly WHERE customer_id = 'acme'",
                "TRUNCATE usage_hourly", "TRUNCATE usage_events",
                // The rollup's flag (migration 0015) cannot be lifted, and no row moves into the closed month.
                "UPDATE usage_hourly SET frozen = false WHERE customer_id = 'acme'",
                "UPDATE usage_hourly SET customer_id = 'acme' WHERE customer_id = 'beta'",
            ] {
                await #expect {
                    try await pool.withConnection { db in try db.execute(statement) }
                } throws: {
                    ($0 as? PostgresError)?.sqlState == .objectNotInPrerequisiteState
                }
            }
            // Beta's November is still open: its rows may change (a test's corruption, a repair).
            try await pool.withConnection { db in
                try db.execute("UPDATE usage_events SET input_tokens = 101 WHERE event_id = 'f2'")
                try db.execute("UPDATE usage_events SET input_tokens = 100 WHERE event_id = 'f2'")
                try db.execute("UPDATE usage_hourly SET input_tokens = input_tokens + 1 WHERE customer_id = 'beta'")
                try db.execute("UPDATE usage_hourly SET input_tokens = input_tokens - 1 WHERE customer_id = 'beta'")
            }
            let flags = try await pool.withConnection { db in
                try db.execute("SELECT customer_id, frozen FROM usage_hourly ORDER BY customer_id").map {
                    "\(try $0.decode(0, as: String.self))=\(try $0.decode(1, as: Bool.self))"
                }
            }
            #expect(flags == ["acme=true", "beta=false"])
            // Late usage of acme's November lands twice in the same hour (the second upserts the late row).
            let late = try await ingest(pool, temp, "late.ndjson", [UsageIngestTests.event("f3", at: "2026-11-03T10:30:00Z")])
            let later = try await ingest(pool, temp, "later.ndjson", [UsageIngestTests.event("f4", at: "2026-11-03T10:40:00Z")])
            #expect(late.accepted == 1 && late.late == 1 && later.accepted == 1 && later.late == 1)
            let stored = try await Self.stored(pool)
            #expect(stored.events == 4 && stored.rolled == 4)
        }
    }
}
