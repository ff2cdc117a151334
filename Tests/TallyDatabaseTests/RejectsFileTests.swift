import Foundation
import Testing
import TallyCore
@testable import TallyDatabase
import TallyPostgres
import TallyTesting

/// A rejects file that cannot be written (a full disk, a missing or read-only
/// folder) fails the ingest whole with the system's reason; it used to trap
/// in Foundation's non-throwing write (found by scripts/reliability/40-disk-readonly.sh).
@Suite("Rejects file on storage that refuses writes")
struct RejectsFileTests {
    @Test func aFullDiskIsAnErrorNotACrash() throws {
        // /dev/full accepts the open and answers every write with ENOSPC.
        var file = try RejectsFile(path: "/dev/full")
        defer { file.close() }
        #expect {
            for line in 1...2_000 { try file.write(line: line, reason: "bad", input: String(repeating: "x", count: 100)) }
            try file.finish()
        } throws: { error in
            "\(error)".contains("cannot write the rejects file: No space left on device")
        }
    }

    @Test func anIngestWhoseRejectsCannotBeWrittenLoadsNothing() async throws {
        let temp = try TemporaryFiles([
            "public.yaml": RateCardFileTests.good,
            "customers.csv": "id,name,billing_email,country,vat_id,tax_treatment,currency,card\nacme,Acme AI,billing@acme.ai,US,,standard,USD,\n",
            "e.ndjson": #"{"id":"e1","customer":"acme","model":"m","timestamp":"2026-11-03T10:15:00Z","input_tokens":1,"site":"s"}"# + "\n"
                + #"{"id":"e2","customer":"acme","model":"m","input_tokens":-1}"# + "\n",
        ])
        defer { temp.remove() }
        try await TestDatabase.withSchema { pool, _ in
            try await pool.withConnection { db in
                _ = try RateCardStore(db).load(RateCardFile.parseAll(path: temp.path("public.yaml")).cards)
                _ = try CustomerStore(db).importFile(temp.path("customers.csv"))
                let rejects = temp.path("no-such-folder/r.ndjson")
                #expect {
                    try UsageIngester(db).ingest(path: temp.path("e.ndjson"), format: .ndjson, rejectsPath: rejects, now: TestClock.now)
                } throws: { error in
                    "\(error)".contains("cannot write the rejects file: No such file or directory")
                }
                #expect(try db.scalar("SELECT count(*) FROM usage_events", as: Int.self) == 0)
                #expect(try db.scalar("SELECT count(*) FROM usage_hourly", as: Int.self) == 0)
            }
        }
    }
}
