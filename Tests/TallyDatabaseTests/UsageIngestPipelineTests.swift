import Foundation
import Testing
import TallyCore
import TallyDatabase
import TallyPostgres
import TallyTesting

/// Reading on a thread of its own (`UsageIngester.backgroundParsingFromBytes`)
/// changes nothing an ingest reports or stores: the same summary, rejects,
/// batches and commits as reading inline, and the same errors.
@Suite("Usage ingest pipeline")
struct UsageIngestPipelineTests {
    let setup = UsageIngestTests()

    struct Outcome: Equatable {
        var summary: UsageIngester.Summary
        var rejects: String
        /// (lines, accepted) after each batch, from `onProgress`.
        var batches: [[Int]]
        /// (event id, late, billing month) of every stored event, sorted.
        var stored: [String]
        var drift: Int
    }

    /// Ingests `lines` into a fresh schema (Acme's and Beta's invoices of
    /// December 2026 finalized, September 2026 archived), on a background
    /// thread or inline.
    func ingest(_ lines: [String], background: Bool, chunkEvents: Int = 5, batchSize: Int = 3) async throws -> Outcome {
        try await setup.withSetup { pool, temp in
            try await pool.withConnection { db in
                try UsageIngestTests.finalizeByHand(db, customer: "beta", period: "2026-12-01")
                try db.execute(
                    """
                    INSERT INTO archived_usage_months (month, archived_at, events, manifest_sha256, location)
                    VALUES ('2026-09-01', now(), 0, \(String(repeating: "0", count: 64)), 'test')
                    """)
            }
            try temp.write("e.ndjson", lines.joined(separator: "\n") + "\n")
            let (summary, batches) = try await pool.withConnection { db in
                final class Batches { var seen: [[Int]] = [] }
                let batches = Batches()
                var ingester = UsageIngester(db)
                ingester.chunkEvents = chunkEvents
                ingester.batchSize = batchSize
                ingester.backgroundParsingFromBytes = background ? 0 : .max
                ingester.onProgress = { progress in batches.seen.append([progress.lines, progress.accepted]) }
                let summary = try ingester.ingest(path: temp.path("e.ndjson"), format: .ndjson, rejectsPath: temp.path("r.ndjson"), now: TestClock.now)
                return (summary, batches.seen)
            }
            return try await pool.withConnection { db in
                let stored = try db.execute("SELECT event_id || ' ' || late || ' ' || billing_month FROM usage_events ORDER BY 1").map {
                    try $0.decode(0, as: String.self)
                }
                return Outcome(
                    summary: summary, rejects: try String(contentsOfFile: temp.path("r.ndjson"), encoding: .utf8),
                    batches: batches, stored: stored, drift: try UsageIngestTests.rollupDrift(db))
            }
        }
    }

    static func event(_ id: String, customer: String = "acme", at: String = "2026-12-03T10:15:00Z", input: Int = 100, extra: String = "") -> String {
        var text = UsageIngestTests.event(id, customer: customer, at: at, input: input)
        if !extra.isEmpty { text.insert(contentsOf: #","\#(extra)":1"#, at: text.index(before: text.endIndex)) }
        return text
    }

    /// Every kind of line, over several chunks and batches, with refusals
    /// at chunk ends (they join the chunk before) and an archived month.
    static let mixed: [String] = [
        event("a1"), event("a2", customer: "beta"), "", event("a3", extra: "output_token"), event("a1"),
        #"{"id":"bad","customer":"acme""#, event("a4", customer: "zed"), event("a5", at: "2020-01-01T00:00:00Z"),
        event("a6", at: "2026-09-10T00:00:00Z"), event("a7", customer: "zed", at: "2026-11-10T00:00:00Z"), event("a1", input: 7),
        event("a8", extra: "region"), event("a9", extra: "output_token"), "  ", event("a2", customer: "beta"),
        event("a10", at: "2027-01-02T00:00:00Z"), event("a11", customer: "beta", at: "2027-01-02T00:00:00Z"),
        event("a12", customer: "nobody"), event("a13", customer: "nobody"), event("a14", customer: "nobody"),
        event("a15"), event("a15"), event("a15", input: 1), "[1]", event("a16", customer: "beta", extra: "region"),
    ]

    @Test(arguments: [(5, 3), (1, 1), (4, 200_000), (1_000_000, 2)])
    func readingInBackgroundChangesNothing(chunkEvents: Int, batchSize: Int) async throws {
        let inline = try await ingest(Self.mixed, background: false, chunkEvents: chunkEvents, batchSize: batchSize)
        let background = try await ingest(Self.mixed, background: true, chunkEvents: chunkEvents, batchSize: batchSize)
        #expect(inline == background)
        #expect(inline.summary.lines == 23 && inline.summary.accepted == 9 && inline.summary.duplicates == 3)
        #expect(inline.summary.rejected == 11 && inline.summary.late == 2)
        #expect(inline.summary.unknownKeys.map(\.key) == ["output_token", "region"])
        #expect(inline.rejects.contains("falls in 2026-09") && inline.rejects.contains("within 2 months of 2026-09"))
        #expect(inline.drift == 0)
    }

    /// A read error in the background reader reaches the caller as the same
    /// error (file and line), after the chunks before it committed, as inline.
    @Test(arguments: [false, true])
    func aReadErrorSurfacesWithItsLine(background: Bool) async throws {
        try await setup.withSetup { pool, temp in
            var csv = "id,customer,model,timestamp,input_tokens,site\n"
            for i in 0..<7 { csv += "r\(i),acme,m,2026-12-03T10:00:00Z,\(i),us-1\n" }
            csv += "r7,acme,m,2026-12-03T10:00:00Z,1,\"us-1\n"
            try temp.write("e.csv", csv)
            let error = await #expect(throws: ImportProblem.self) {
                try await pool.withConnection { db in
                    var ingester = UsageIngester(db)
                    ingester.chunkEvents = 2
                    ingester.batchSize = 1
                    ingester.backgroundParsingFromBytes = background ? 0 : .max
                    return try ingester.ingest(path: temp.path("e.csv"), format: .csv, rejectsPath: temp.path("r.ndjson"), now: TestClock.now)
                }
            }
            #expect(error?.line == 9 && error?.message.contains("unclosed quote") == true)
            let stored = try await UsageIntegrityTests.stored(pool)
            #expect(stored.events == 6 && stored.rolled == 6)  // three chunks of two committed
        }
    }
}
