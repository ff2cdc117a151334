import Foundation
import Testing
import TallyCore
import TallyDatabase
import TallyPostgres
import TallyTesting

/// An ingest that needs a month's partition creates it before it reads
/// `usage_events`: creating a partition needs the table exclusively, so an
/// ingest holding a read of it while waiting for the partitions lock would
/// deadlock with the ingest creating one (seen with two concurrent first
/// requests of a month in `tally serve`: one aborted after
/// `deadlock_timeout`).
@Suite("Usage partitions and concurrent ingests")
struct UsagePartitionLockTests {
    let setup = UsageIngestTests()

    @Test func anIngestWaitingToCreateAPartitionHoldsNoLockOnTheEvents() async throws {
        try await setup.withSetup { pool, temp in
            // December 2026 (inside TestClock's window) without its
            // partition; November's exists, so the look-up reads usage_events.
            try await pool.withConnection { db in
                try db.execute("DROP TABLE IF EXISTS usage_events_2026_12")
                try db.execute("SELECT ensure_usage_partition('2026-11-01')")
            }
            try temp.write("e.ndjson", UsageIngestTests.event("d1", at: "2026-12-20T10:00:00Z") + "\n")
            // Another ingest holds the partitions lock, as one creating a
            // partition does, and creates the partition once this ingest waits.
            // On a thread of its own (SerialConnection): its statements wait
            // for locks, which must not hold a thread of the test's pool.
            let holder = try await SerialConnection.connect(await pool.configuration)
            try await holder.run { db in
                try db.execute("BEGIN")
                try db.execute("SELECT pg_advisory_xact_lock(hashtext('tally.usage_partitions'))")
            }
            let ingest = Task {
                try await pool.withConnection { db in
                    try UsageIngester(db).ingest(path: temp.path("e.ndjson"), format: .ndjson, rejectsPath: temp.path("r.ndjson"), now: TestClock.now)
                }
            }
            try await Task.sleep(for: .milliseconds(500))
            // Waits for no lock of the ingest's: it holds none on usage_events.
            try await holder.run { db in
                try db.execute("SET lock_timeout = '5s'")
                try db.execute("SELECT ensure_usage_partition('2026-12-01')")
                try db.execute("COMMIT")
            }
            await holder.close()
            let summary = try await ingest.value
            #expect(summary.accepted == 1)
            let stored = try await pool.withConnection { db in try db.scalar("SELECT count(*) FROM usage_events_2026_12", as: Int.self) }
            #expect(stored == 1)
        }
    }
}
