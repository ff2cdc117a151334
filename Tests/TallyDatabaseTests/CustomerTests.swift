import Foundation
import Testing
import TallyCore
import TallyDatabase
import TallyPostgres
import TallyTesting

@Suite("Customers")
struct CustomerTests {
    static let file = """
        id,name,billing_email,country,vat_id,tax_treatment,currency,card
        acme,Acme AI,billing@acme.ai,US,,standard,USD,
        berlin-ml,"Berlin ML GmbH",rechnung@berlin-ml.de,DE,DE123456789,reverse_charge,USD,public
        """

    func withCards<T>(_ body: (ConnectionPool, TemporaryFiles) async throws -> T) async throws -> T {
        let temp = try TemporaryFiles(["public.yaml": RateCardFileTests.good, "customers.csv": Self.file])
        defer { temp.remove() }
        return try await TestDatabase.withSchema { pool, _ in
            try await pool.withConnection { db in
                _ = try RateCardStore(db).load(RateCardFile.parseAll(path: temp.path("public.yaml")).cards)
            }
            return try await body(pool, temp)
        }
    }

    @Test func importIsValidatedAndIdempotent() async throws {
        try await withCards { pool, temp in
            let first = try await pool.withConnection { db in try CustomerStore(db).importFile(temp.path("customers.csv")) }
            #expect(first == .init(inserted: 2, updated: 0, unchanged: 0))
            let again = try await pool.withConnection { db in try CustomerStore(db).importFile(temp.path("customers.csv")) }
            #expect(again == .init(inserted: 0, updated: 0, unchanged: 2))
            let all = try await pool.withConnection { db in try CustomerStore(db).all() }
            #expect(all.map(\.id) == ["acme", "berlin-ml"])
            #expect(all[1].taxTreatment == .reverseCharge && all[1].vatID == "DE123456789" && all[0].card == "public")
        }
    }

    /// A name or VAT id of white space alone passed the table's checks and
    /// printed an invoice to nobody (or reverse-charged on a blank VAT id).
    @Test func whiteSpaceAloneIsNoNameAndNoVATID() async throws {
        try await withCards { pool, _ in
            try await pool.withConnection { db in
                let store = CustomerStore(db)
                let fields = ["id": "blank", "name": "Blank", "billing_email": "ap@blank.de", "country": "DE", "tax_treatment": "standard", "currency": "USD"]
                #expect { try store.add(fields.merging(["name": "   "]) { $1 }) } throws: {
                    "\($0)".contains("customers add:1: name '   ': only white space")
                }
                #expect { try store.add(fields.merging(["vat_id": " ", "tax_treatment": "reverse_charge"]) { $1 }) } throws: {
                    "\($0)".contains("customers add:1: vat_id ' ': only white space")
                }
                let written = try store.all()
                #expect(written.isEmpty)
            }
        }
    }

    /// The supply fuzzer's finding holds for customer files too: a header
    /// naming a column twice is refused with its line, not a crash.
    @Test func aHeaderNamingAColumnTwiceIsRefused() async throws {
        try await withCards { pool, temp in
            try temp.write("twice.csv", "id,name,billing_email,country,vat_id,tax_treatment,currency,card,name\nok,Fine,ok@x.io,US,,standard,USD,,Other\n")
            await #expect {
                _ = try await pool.withConnection { db in try CustomerStore(db).importFile(temp.path("twice.csv")) }
            } throws: { "\($0)".contains("twice.csv:1") && "\($0)".contains("name: given twice in the header") }
            let stored = try await pool.withConnection { db in try db.scalar("SELECT count(*)::bigint FROM customers", as: Int.self) }
            #expect(stored == 0)
        }
    }

    @Test func badRowsAreAllReportedAndNothingIsWritten() async throws {
        try await withCards { pool, temp in
            try temp.write("bad.csv", """
                id,name,billing_email,country,vat_id,tax_treatment,currency,card
                ok,Fine,ok@x.io,US,,standard,USD,
                a b,Spaces,a@x.io,US,,standard,USD,
                c,Mail,not-an-email,US,,standard,USD,
                d,Country,d@x.io,USA,,standard,USD,
                e,Tax,e@x.io,DE,,reverse_charge,USD,
                f,Tax,f@x.io,US,US1,reverse_charge,USD,
                g,Money,g@x.io,US,,standard,DOLLAR,
                h,Card,h@x.io,US,,standard,USD,gold
                i,Currency,i@x.io,JP,,standard,JPY,public
                ok,Again,ok@x.io,US,,standard,USD,
                """)
            do {
                _ = try await pool.withConnection { db in try CustomerStore(db).importFile(temp.path("bad.csv")) }
                Issue.record("expected problems")
            } catch let error as ImportError {
                let text = error.problems.map { $0.description.replacingOccurrences(of: temp.directory.path + "/", with: "") }
                for expected in [
                    "bad.csv:3: id 'a b': use letters", "bad.csv:4: billing_email 'not-an-email': not an email address",
                    "bad.csv:5: country 'USA': not an ISO 3166-1", "bad.csv:6: vat_id: is required for reverse_charge",
                    "bad.csv:7: tax_treatment 'reverse_charge': applies to EU business customers only",
                    "bad.csv:8: currency 'DOLLAR': not an ISO 4217", "bad.csv:11: id 'ok': already defined at line 2",
                ] {
                    #expect(text.contains { $0.hasPrefix(expected) }, "missing \(expected) in \(text)")
                }
            }
            // The card and currency checks run once the rows themselves are valid.
            try temp.write("cards.csv", """
                id,name,billing_email,country,vat_id,tax_treatment,currency,card
                h,Card,h@x.io,US,,standard,USD,gold
                i,Currency,i@x.io,JP,,standard,JPY,public
                """)
            await #expect {
                try await pool.withConnection { db in try CustomerStore(db).importFile(temp.path("cards.csv")) }
            } throws: { error in
                "\(error)".contains("cards.csv:2: card 'gold': no such rate card") && "\(error)".contains("cards.csv:3: currency 'JPY': differs from card 'public' (USD)")
            }
            // Reverse charge in the issuer's own country is refused at import (not at the month's invoice run).
            try temp.write("home.csv", """
                id,name,billing_email,country,vat_id,tax_treatment,currency,card
                j,Home,j@x.nl,NL,NL123456789B01,reverse_charge,USD,
                """)
            await #expect {
                try await pool.withConnection { db in try CustomerStore(db, issuerCountry: "NL").importFile(temp.path("home.csv")) }
            } throws: { error in
                "\(error)".contains("home.csv:2: tax_treatment 'reverse_charge': the issuer is in NL too")
            }
            let count = try await pool.withConnection { db in try db.scalar("SELECT count(*) FROM customers", as: Int.self) }
            #expect(count == 0)
        }
    }
}
