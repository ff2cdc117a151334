import Foundation
import Testing
import TallyCore
import TallyDatabase
import TallyPostgres
import TallyTesting

/// A CSV row with more fields than its header is rejected, not read by
/// position: an unquoted comma in a value would shift the later columns
/// (found by scripts/reliability/60-bad-inputs.sh).
@Suite("Usage CSV rows with more fields than the header")
struct UsageCSVFieldCountTests {
    @Test func extraFieldsRejectTheRowWithItsLine() async throws {
        let header = "id,customer,model,timestamp,input_tokens,cached_input_tokens,output_tokens,site,tag"
        let temp = try TemporaryFiles([
            "public.yaml": RateCardFileTests.good,
            "customers.csv": "id,name,billing_email,country,vat_id,tax_treatment,currency,card\nacme,Acme AI,billing@acme.ai,US,,standard,USD,\n",
            "e.csv": header + "\n"
                + "e1,acme,m,2026-11-03T10:15:00Z,1,0,2,us-1,key\n"
                + "e2,acme,m,2026-11-03T10:15:00Z,1,0,2,us-1,tag,with,commas\n"
                + "e3,acme,m,2026-11-03T10:15:00Z,1,0,2,us-1\n",
        ])
        defer { temp.remove() }
        try await TestDatabase.withSchema { pool, _ in
            try await pool.withConnection { db in
                _ = try RateCardStore(db).load(RateCardFile.parseAll(path: temp.path("public.yaml")).cards)
                _ = try CustomerStore(db).importFile(temp.path("customers.csv"))
                let s = try UsageIngester(db).ingest(path: temp.path("e.csv"), format: .csv, rejectsPath: temp.path("r.ndjson"), now: TestClock.now)
                #expect(s.accepted == 2 && s.rejected == 1)
                let rejects = try String(contentsOfFile: temp.path("r.ndjson"), encoding: .utf8)
                #expect(rejects.hasPrefix("{\"line\":3,") && rejects.contains("11 fields, the header names 9"), "\(rejects)")
            }
        }
    }
}
