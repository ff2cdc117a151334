import Foundation
import Testing
import TallyCore
@testable import TallyDatabase
import TallyPostgres
import TallyTesting

/// Inputs the reliability suite's generator (scripts/reliability/badinputs.py)
/// found accepted although they are wrong; each is refused now, with a reason.
@Suite("Bad inputs found by the reliability suite")
struct BadInputRegressionTests {
    @Test func aJSONCountWithALeadingZeroIsRejected() {
        let line = #"{"id":"a","customer":"c","model":"m","timestamp":"2026-11-03T10:15:00Z","input_tokens":01,"site":"s"}"#
        #expect {
            _ = try EventLineParser.parse(Array(line.utf8)[...])
        } throws: { error in
            (error as? EventLineParser.Rejected)?.reason.contains("leading zero") == true
        }
        // A plain 0 and 10 are fine.
        let zero = line.replacingOccurrences(of: ":01,", with: ":0,")
        #expect((try? EventLineParser.parse(Array(zero.utf8)[...]))?.input == 0)
        let ten = line.replacingOccurrences(of: ":01,", with: ":10,")
        #expect((try? EventLineParser.parse(Array(ten.utf8)[...]))?.input == 10)
    }

    @Test func aCustomerNameWithControlCharactersIsRefused() async throws {
        try await TestDatabase.withSchema { pool, _ in
            try await pool.withConnection { db in
                let fields = ["id": "ctl", "name": "Acme\u{1B}[31m", "billing_email": "ap@acme.example", "country": "US",
                              "tax_treatment": "standard", "currency": "USD"]
                do {
                    _ = try CustomerStore(db).add(fields)
                    Issue.record("a name with control characters was accepted")
                } catch {
                    let text = "\(error)"
                    #expect(text.contains("name 'Acme?[31m': contains control characters"))
                }
                let stored = try db.scalar("SELECT count(*) FROM customers", as: Int.self)
                #expect(stored == 0)
            }
        }
    }
}
