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

    /// `ingest` raced by a connection holding UsageIngestTests.event("raced")
    /// stored but not committed.
    func racing<T: Sendable>(
        _ pool: ConnectionPool, _ ingest: @escaping @Sendable () async throws -> T
    ) async throws -> Result<T, any Error> {
        try await TestDatabase.racing(pool, customer: "acme", id: "raced", at: "2026-11-03T10:15:00Z", site: "us-1", input: 100, output: 10, ingest)
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
