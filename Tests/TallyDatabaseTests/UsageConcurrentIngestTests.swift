import Foundation
import Testing
import TallyCore
import TallyDatabase
import TallyPostgres
import TallyTesting

/// An event another ingest stores between this ingest's look-up and its
/// copy: the copy waits for that ingest, then the partition's key refuses
/// the event. On its own transactions the ingest rolls the copy back to its
/// savepoint and looks again (a duplicate); inside its caller's transaction
/// (the server's grouped requests, which take no savepoint) the error fails
/// that transaction and says so (``UsageIngester/isConcurrentDuplicate(_:)``),
/// for the caller to run it again.
@Suite("Concurrent ingests of the same event")
struct UsageConcurrentIngestTests {
    let setup = UsageIngestTests()

    /// Runs `ingest` while another connection holds the event `raced`
    /// (``UsageIngestTests/event(_:customer:at:input:output:tag:)``'s
    /// defaults) stored but not committed, then commits it; returns what
    /// `ingest` returned. The holder inserts the row itself: an ingest would
    /// hold the closing lock, which other tests' finalizations wait for.
    func racing<T: Sendable>(
        _ pool: ConnectionPool, _ ingest: @escaping @Sendable () async throws -> T
    ) async throws -> Result<T, any Error> {
        try await pool.withConnection { db in _ = try db.execute("SELECT ensure_usage_partition('2026-11-01')") }
        let holder = try PostgresConnection(configuration: await pool.configuration)
        let pid = try holder.scalar("SELECT pg_backend_pid()", as: Int.self)
        try holder.execute("BEGIN")
        try holder.execute(
            """
            INSERT INTO usage_events (month, customer_id, event_id, occurred_at, model, site_id, tag,
                                      input_tokens, cached_input_tokens, output_tokens, billing_month)
            VALUES ('2026-11-01', 'acme', 'raced', '2026-11-03T10:15:00Z', 'm', 'us-1', '', 100, 0, 10, '2026-11-01')
            """)
        let task = Task { () -> Result<T, any Error> in
            do { return .success(try await ingest()) } catch { return .failure(error) }
        }
        // The ingest's look-up missed the uncommitted event; its copy waits.
        try await TestDatabase.waitUntilBlocked(byBackend: pid, on: pool)
        try holder.execute("COMMIT")
        return await task.value
    }

    @Test func onItsOwnTransactionsTheIngestFindsTheEventADuplicate() async throws {
        try await setup.withSetup { pool, temp in
            let event = UsageIngestTests.event("raced")
            try temp.write("e.ndjson", event + "\n" + UsageIngestTests.event("other") + "\n")
            let result = try await racing(pool) {
                try await pool.withConnection { db in
                    try UsageIngester(db).ingest(path: temp.path("e.ndjson"), format: .ndjson, rejectsPath: temp.path("r.ndjson"), now: TestClock.now)
                }
            }
            let summary = try result.get()
            #expect(summary.accepted == 1)
            #expect(summary.duplicates == 1)
            let stored = try await pool.withConnection { db in try db.scalar("SELECT count(*) FROM usage_events", as: Int.self) }
            #expect(stored == 2)
        }
    }

    @Test func insideItsCallersTransactionTheIngestFailsItForTheCallerToRunAgain() async throws {
        try await setup.withSetup { pool, _ in
            let event = UsageIngestTests.event("raced")
            let input = Array((event + "\n" + UsageIngestTests.event("other") + "\n").utf8)
            let result = try await racing(pool) {
                try await pool.withConnection { db in
                    try db.transaction { try UsageIngester(db).ingest(ndjson: input, now: TestClock.now).summary }
                }
            }
            guard case .failure(let error) = result else {
                Issue.record("the ingest did not fail: \(result)")
                return
            }
            #expect(UsageIngester.isConcurrentDuplicate(error))
            // Nothing of it was stored; run again, it finds the duplicate.
            let again = try await pool.withConnection { db in
                try db.transaction { try UsageIngester(db).ingest(ndjson: input, now: TestClock.now).summary }
            }
            #expect(again.accepted == 1)
            #expect(again.duplicates == 1)
        }
    }
}
