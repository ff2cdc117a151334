import Foundation
import Testing
import TallyCore
import TallyDatabase
import TallyPostgres
import TallyTesting

/// Invoices end to end against PostgreSQL: a month with a tier crossing, a
/// card version change, a discount and override, cached tokens, credits,
/// reverse charge, JPY, late usage, finalization, numbering, immutability.
@Suite("Invoices")
struct InvoiceTests {
    static let cards = """
        card: usd
        currency: USD
        versions:
          - effective_from: 2026-10-01T00:00:00Z
            models:
              m:
                input: 1.00
                cached_input: 0.10
                output:
                  tiers: graduated
                  bands:
                    - { up_to: 1000000, price: 2.00 }
                    - { price: 1.50 }
          - effective_from: 2026-11-15T00:00:00Z
            models:
              m:
                input: 0.80
                cached_input: 0.10
                output:
                  tiers: graduated
                  bands:
                    - { up_to: 1000000, price: 2.00 }
                    - { price: 1.50 }
        """
    static let discount = """
        card: usd-deal
        currency: USD
        base: usd
        versions:
          - effective_from: 2026-10-01T00:00:00Z
            discount_percent: 10
            models:
              m:
                cached_input: 0.05
        """
    static let jpy = """
        card: jpy
        currency: JPY
        versions:
          - effective_from: 2026-10-01T00:00:00Z
            models:
              m: { input: 150, cached_input: 15, output: 333 }
        """
    static let taxes = """
        tax_rates:
          - { country: US, effective_from: 2000-01-01, percent: 0, name: Sales tax }
          - { country: DE, effective_from: 2007-01-01, percent: 19, name: USt }
          - { country: FR, effective_from: 2014-01-01, percent: 20, name: TVA }
          - { country: JP, effective_from: 2019-10-01, percent: 0, name: Consumption tax }
        """
    static let customers = """
        id,name,billing_email,country,vat_id,tax_treatment,currency,card
        acme,Acme AI,billing@acme.ai,US,,standard,USD,usd
        berlin,Berlin GmbH,rechnung@berlin.de,DE,,standard,USD,usd-deal
        idle,Idle Inc,billing@idle.io,US,,standard,USD,usd
        paris,Paris SAS,factures@paris.fr,FR,FR40303265045,reverse_charge,USD,usd
        tokyo,Tokyo KK,billing@tokyo.jp,JP,,standard,JPY,jpy
        """
    static let issuer = Issuer.test
    static let november = try! BillingMonth(parsing: "2026-11")
    static let december = try! BillingMonth(parsing: "2026-12")

    static func event(_ id: String, _ customer: String, _ at: String, input: Int = 0, cached: Int = 0, output: Int = 0, tag: String = "") -> String {
        #"{"id":"\#(id)","customer":"\#(customer)","model":"m","timestamp":"\#(at)","input_tokens":\#(input),"cached_input_tokens":\#(cached),"output_tokens":\#(output),"site":"s1","tag":"\#(tag)"}"#
    }

    /// November usage: acme crosses the output tier and spans the version change.
    static let novemberEvents = [
        event("a1", "acme", "2026-11-02T10:00:00Z", input: 1_000_000, cached: 500_000, output: 600_000, tag: "key-prod"),
        event("a2", "acme", "2026-11-20T10:00:00Z", input: 1_000_000, output: 600_000, tag: "key-dev"),
        event("b1", "berlin", "2026-11-03T10:00:00Z", input: 2_000_000, cached: 1_000_000, output: 100_000),
        event("p1", "paris", "2026-11-04T10:00:00Z", input: 3_000_000, output: 10_000),
        event("t1", "tokyo", "2026-11-05T10:00:00Z", input: 1_234_567, cached: 10_000, output: 7_654),
    ]

    func withMonth<T>(_ body: (ConnectionPool, TemporaryFiles) async throws -> T) async throws -> T {
        let temp = try TemporaryFiles([
            "rates/usd.yaml": Self.cards, "rates/deal.yaml": Self.discount,
            "rates/jpy.yaml": Self.jpy, "tax.yaml": Self.taxes, "customers.csv": Self.customers,
            "nov.ndjson": Self.novemberEvents.joined(separator: "\n"),
        ])
        defer { temp.remove() }
        return try await TestDatabase.withSchema { pool, _ in
            try await pool.withConnection { db in
                let (cards, problems) = RateCardFile.parseAll(path: temp.path("rates"))
                #expect(problems.isEmpty)
                _ = try RateCardStore(db).load(cards)
                try TaxRateStore(db).load(TaxRateFile.parseAll(path: temp.path("tax.yaml")).rates)
                _ = try CustomerStore(db).importFile(temp.path("customers.csv"))
                _ = try UsageIngester(db).ingest(path: temp.path("nov.ndjson"), format: .ndjson, rejectsPath: temp.path("r.ndjson"), now: TestClock.now)
            }
            return try await body(pool, temp)
        }
    }

    func d(_ text: String) -> ExactDecimal { try! ExactDecimal(parsing: text) }

    func lines(_ invoice: Invoice) -> [String] {
        invoice.lines.map { l in
            "\(l.usageMonth) \(l.tokenClass.rawValue) \(l.source.version.date) b\(l.band) \(l.quantity) @\(l.unitPricePerMillion) = \(l.amount.amount)"
        }
    }

    @Test func aMonthPricedByHand() async throws {
        try await withMonth { pool, _ in
            try await pool.withConnection { db in
                try CreditStore(db).grant(customer: "idle", amount: Money(ExactDecimal(50), .usd), expiresOn: try CivilDate(parsing: "2027-03-31"),
                                          reason: "welcome", grantedOn: try CivilDate(parsing: "2026-11-01"))
                let s = try InvoiceRun(db, issuer: Self.issuer).run(period: Self.november)
                #expect(s.customers == 5 && s.drafts == 5)
                let store = InvoiceStore(db)
                // acme: input priced by each version; output crosses the graduated band at 1,000,000.
                let acme = try store.invoice(named: "acme/2026-11")
                #expect(lines(acme) == [
                    "2026-11 input 2026-10-01 b0 1000000 @1 = 1",
                    "2026-11 input 2026-11-15 b0 1000000 @0.8 = 0.8",
                    "2026-11 cached_input 2026-10-01 b0 500000 @0.1 = 0.05",
                    "2026-11 output 2026-10-01 b0 600000 @2 = 1.2",
                    "2026-11 output 2026-11-15 b0 400000 @2 = 0.8",
                    "2026-11 output 2026-11-15 b1 200000 @1.5 = 0.3",
                ])
                #expect(acme.subtotal.amount == d("4.15") && acme.taxes.first?.category == .outsideScope)
                #expect(acme.tagUsage.map(\.tag) == ["key-dev", "key-prod"])
                // berlin: 10% off the base card, the override flat and undiscounted; German VAT 19%.
                let berlin = try store.invoice(named: "berlin/2026-11")
                #expect(lines(berlin) == [
                    "2026-11 input 2026-10-01 b0 2000000 @0.9 = 1.8",
                    "2026-11 cached_input 2026-10-01 b0 1000000 @0.05 = 0.05",
                    "2026-11 output 2026-10-01 b0 100000 @1.8 = 0.18",
                ])
                #expect(berlin.taxes.first?.percent == ExactDecimal(19) && berlin.taxTotal.amount == d("0.39"))  // 2.03 × 19% = 0.3857
                #expect(berlin.total.amount == d("2.42"))
                // paris: reverse charge, 0% with the legal note.
                let paris = try store.invoice(named: "paris/2026-11")
                #expect(paris.taxes.first?.category == .reverseCharge && paris.taxTotal.isZero && paris.total == paris.subtotal)
                // tokyo: JPY, no decimals: 1,234,567 × 150 / 1M = 185.185 -> 185; 10,000 × 15 / 1M = 0.15 -> 0; 7,654 × 333 / 1M = 2.548782 -> 3.
                let tokyo = try store.invoice(named: "tokyo/2026-11")
                #expect(tokyo.lines.map(\.amount.amount) == [ExactDecimal(185), ExactDecimal(0), ExactDecimal(3)])
                #expect(tokyo.total == Money(ExactDecimal(188), .jpy))
                // idle: no usage, credits: an invoice of zero, credits untouched.
                let idle = try store.invoice(named: "idle/2026-11")
                #expect(idle.lines.isEmpty && idle.total.isZero && idle.credits.isEmpty)
                // Every total recomputes from its lines.
                for invoice in try store.invoices(period: Self.november) { try invoice.verify() }
                // Running again gives identical drafts.
                let before = try store.invoices(period: Self.november)
                try InvoiceRun(db, issuer: Self.issuer).run(period: Self.november)
                #expect(try store.invoices(period: Self.november) == before)
            }
        }
    }

    @Test func creditsSpanInvoicesEarliestExpiryFirstAndExpire() async throws {
        try await withMonth { pool, temp in
            try await pool.withConnection { db in
                let credits = CreditStore(db)
                let day = { (text: String) in try CivilDate(parsing: text) }
                _ = try credits.grant(customer: "acme", amount: Money(ExactDecimal(5), .usd), expiresOn: try day("2027-03-31"), reason: "promo", grantedOn: try day("2026-11-01"))
                _ = try credits.grant(customer: "acme", amount: Money(ExactDecimal(1), .usd), expiresOn: try day("2026-12-31"), reason: "early", grantedOn: try day("2026-11-01"))
                _ = try credits.grant(customer: "acme", amount: Money(ExactDecimal(9), .usd), expiresOn: try day("2026-11-15"), reason: "too short", grantedOn: try day("2026-11-01"))
                try InvoiceRun(db, issuer: Self.issuer).run(period: Self.november)
                let nov = try InvoiceStore(db).invoice(named: "acme/2026-11")
                // 4.15 due: the grant expiring first (1.00) then 3.15 of the other; the one expiring mid-month serves nothing.
                #expect(nov.credits.map(\.amount.amount) == [ExactDecimal(1), d("3.15")])
                #expect(nov.total.isZero)
                try InvoiceStore(db).finalize(period: Self.november, issuer: Self.issuer, issueDate: try day("2026-12-01"))
                try temp.write("dec.ndjson", Self.event("d1", "acme", "2026-12-02T00:00:00Z", input: 3_000_000))
                _ = try UsageIngester(db).ingest(path: temp.path("dec.ndjson"), format: .ndjson, rejectsPath: temp.path("r.ndjson"), now: TestClock.now)
                try InvoiceRun(db, issuer: Self.issuer).run(period: Self.december)
                let dec = try InvoiceStore(db).invoice(named: "acme/2026-12")
                // 3,000,000 × 0.80 = 2.40; 1.85 left of the promo.
                #expect(dec.subtotal.amount == d("2.40") && dec.creditsTotal.amount == d("1.85"))
                let ledger = try credits.ledger(customer: "acme", asOf: try day("2027-01-15"))
                #expect(ledger.filter { $0.kind == .expired }.map(\.amount.amount) == [ExactDecimal(-9)])
                #expect(ledger.last?.balance.isZero == true)
            }
        }
    }

    /// SPEC §5: earliest expiry first, then the oldest grant, then the grant
    /// number (G-9 before G-10, not text order); a grant serves only months
    /// that end after it was granted.
    @Test func grantsAreTakenByExpiryThenGrantDateThenNumberAndServeOnlyLaterMonths() async throws {
        try await withMonth { pool, _ in
            try await pool.withConnection { db in
                let credits = CreditStore(db)
                let day = { (text: String) in try CivilDate(parsing: text) }
                let expires = try day("2027-03-31")
                // G-1 … G-8 belong to idle, so acme's grants are G-9, G-10 and G-11.
                for _ in 1...8 {
                    try credits.grant(customer: "idle", amount: Money(ExactDecimal(1), .usd), expiresOn: expires, reason: "filler", grantedOn: try day("2026-11-01"))
                }
                let g9 = try credits.grant(customer: "acme", amount: Money(ExactDecimal(5), .usd), expiresOn: expires, reason: "nine", grantedOn: try day("2026-11-01"))
                let g10 = try credits.grant(customer: "acme", amount: Money(ExactDecimal(5), .usd), expiresOn: expires, reason: "ten", grantedOn: try day("2026-11-01"))
                let g11 = try credits.grant(customer: "acme", amount: Money(ExactDecimal(1), .usd), expiresOn: expires, reason: "older", grantedOn: try day("2026-10-15"))
                #expect([g9.id, g10.id, g11.id] == ["G-9", "G-10", "G-11"])
                // berlin: granted on the month's last day (serves November), paris: on the first day after it (does not).
                try credits.grant(customer: "berlin", amount: Money(ExactDecimal(1), .usd), expiresOn: expires, reason: "last day", grantedOn: try day("2026-11-30"))
                try credits.grant(customer: "paris", amount: Money(ExactDecimal(5), .usd), expiresOn: expires, reason: "after", grantedOn: try day("2026-12-01"))
                try credits.grant(customer: "tokyo", amount: Money(ExactDecimal(500), .jpy), expiresOn: expires, reason: "december", grantedOn: try day("2026-12-20"))
                try InvoiceRun(db, issuer: Self.issuer).run(period: Self.november)
                let store = InvoiceStore(db)
                // acme owes 4.15: the oldest grant (G-11, 1.00) first, then G-9 (3.15); G-10 untouched.
                let acme = try store.invoice(named: "acme/2026-11")
                #expect(acme.credits.map(\.grantID) == ["G-11", "G-9"])
                #expect(acme.credits.map(\.amount.amount) == [ExactDecimal(1), d("3.15")])
                #expect(try store.invoice(named: "berlin/2026-11").creditsTotal.amount == ExactDecimal(1))
                #expect(try store.invoice(named: "paris/2026-11").credits.isEmpty)
                #expect(try store.invoice(named: "tokyo/2026-11").credits.isEmpty)
                // The ledger never goes below zero: nothing is consumed before it is granted.
                for customer in ["acme", "berlin", "paris", "tokyo"] {
                    let ledger = try credits.ledger(customer: customer, asOf: try day("2027-01-15"))
                    #expect(ledger.allSatisfy { $0.balance.amount >= .zero }, "\(customer): \(ledger.map(\.balance))")
                }
                // December is served by the December grant (tokyo's December usage: none, so a zero invoice).
                try store.finalize(period: Self.november, issuer: Self.issuer, issueDate: try day("2026-12-02"))
                try InvoiceRun(db, issuer: Self.issuer).run(period: Self.december)
                #expect(try store.invoices(period: Self.december).map(\.customer.id).contains("tokyo"))
            }
        }
    }

    /// Issued invoices, credit notes, their parts and grants survive TRUNCATE
    /// (with CASCADE) and DELETE, at the database, whatever the client.
    @Test func issuedDocumentsAreImmuneToTruncateAndDelete() async throws {
        try await withMonth { pool, _ in
            try await pool.withConnection { db in
                let store = InvoiceStore(db)
                // Drafts alone are not protected: a month of drafts may be emptied.
                try InvoiceRun(db, issuer: Self.issuer).run(period: Self.november)
                try db.execute("TRUNCATE invoices CASCADE")
                #expect(try db.scalar("SELECT count(*) FROM invoices", as: Int.self) == 0)
                try CreditStore(db).grant(customer: "acme", amount: Money(ExactDecimal(1), .usd), expiresOn: try CivilDate(parsing: "2027-01-31"),
                                          reason: "test", grantedOn: try CivilDate(parsing: "2026-11-01"))
                try store.finalize(period: Self.november, issuer: Self.issuer, issueDate: try CivilDate(parsing: "2026-12-01"))
                _ = try store.void(number: "INV-2026-000002", reason: "wrong entity", on: try CivilDate(parsing: "2026-12-05"))
                let count: SQL = """
                    SELECT (SELECT count(*) FROM invoices) + (SELECT count(*) FROM credit_notes) + (SELECT count(*) FROM credit_note_lines)
                         + (SELECT count(*) FROM credit_note_taxes) + (SELECT count(*) FROM invoice_credits) + (SELECT count(*) FROM credit_grants)
                    """
                let before = try db.scalar(count, as: Int.self)
                for sql: SQL in [
                    "TRUNCATE invoices CASCADE",
                    "TRUNCATE credit_notes CASCADE",
                    "TRUNCATE credit_note_lines",
                    "TRUNCATE credit_note_taxes",
                    "TRUNCATE invoice_credits",
                    "TRUNCATE credit_grants CASCADE",
                    "DELETE FROM credit_notes",
                    "DELETE FROM credit_note_lines",
                    "DELETE FROM credit_note_taxes",
                    "DELETE FROM invoice_credits",
                    "DELETE FROM credit_grants",
                    "DELETE FROM invoices",
                ] {
                    #expect("\(sql)", performing: { try db.execute(sql) }, throws: { SQLState.objectNotInPrerequisiteState ~= $0 })
                }
                #expect(try db.scalar(count, as: Int.self) == before)
            }
        }
    }

    /// Dates finance relies on: an invoice in arrears is issued once its month
    /// is over, numbers run in date order within a series (a year), a payment
    /// falls between the issue date and today, a credit note follows its invoice.
    @Test func issueAndPaymentDatesAreRefusedOutOfOrder() async throws {
        try await withMonth { pool, temp in
            try await pool.withConnection { db in
                let store = InvoiceStore(db)
                let day = { (text: String) in try CivilDate(parsing: text) }
                #expect { try store.finalize(period: Self.november, issuer: Self.issuer, issueDate: try day("2026-11-30")) } throws: {
                    InvoiceError.Code.date ~= $0 && "\($0)".contains("before the end of 2026-11")
                }
                #expect(try store.invoices(period: Self.november).allSatisfy { $0.number == nil }, "nothing numbered")
                // acme issued on 12-05; another customer's invoice of the same series dated 12-04 is refused.
                #expect(try store.finalize(period: Self.november, customer: "acme", issuer: Self.issuer, issueDate: try day("2026-12-05")) == ["INV-2026-000001"])
                #expect { try store.finalize(period: Self.november, customer: "berlin", issuer: Self.issuer, issueDate: try day("2026-12-04")) } throws: {
                    InvoiceError.Code.date ~= $0 && "\($0)".contains("before 2026-12-05")
                }
                #expect(try store.finalize(period: Self.november, customer: "berlin", issuer: Self.issuer, issueDate: try day("2026-12-05")) == ["INV-2026-000002"])
                // A new year is a new series: December's invoices start at 000001 of 2027.
                try temp.write("dec.ndjson", Self.event("d1", "acme", "2026-12-02T00:00:00Z", input: 1_000_000))
                _ = try UsageIngester(db).ingest(path: temp.path("dec.ndjson"), format: .ndjson, rejectsPath: temp.path("r.ndjson"), now: TestClock.now)
                #expect(try store.finalize(period: Self.december, customer: "acme", issuer: Self.issuer, issueDate: try day("2027-01-01")) == ["INV-2027-000001"])
                // Payments: not before the issue date, not after today.
                let today = try day("2026-12-10")
                #expect { try store.markPaid(number: "INV-2026-000001", on: try day("2026-12-04"), today: today) } throws: { InvoiceError.Code.date ~= $0 }
                #expect { try store.markPaid(number: "INV-2026-000001", on: try day("2026-12-11"), today: today) } throws: {
                    InvoiceError.Code.date ~= $0 && "\($0)".contains("after today (2026-12-10)")
                }
                try store.markPaid(number: "INV-2026-000001", on: today, today: today)
                #expect(try store.invoice(named: "INV-2026-000001").status == .paid)
                // Credit notes: not before their invoice, and in their own series' date order.
                #expect { try store.void(number: "INV-2026-000002", reason: "x", on: try day("2026-12-04")) } throws: { InvoiceError.Code.date ~= $0 }
                #expect(try store.void(number: "INV-2026-000002", reason: "x", on: try day("2026-12-09")).number == "CN-2026-000001")
                #expect { try store.creditNote(number: "INV-2026-000001", lines: [1: nil], reason: "y", on: try day("2026-12-08")) } throws: {
                    InvoiceError.Code.date ~= $0 && "\($0)".contains("before 2026-12-09")
                }
            }
        }
    }

    @Test func finalizeNumbersFreezesAndLateUsageGoesToTheNextInvoice() async throws {
        try await withMonth { pool, temp in
            try await pool.withConnection { db in
                let store = InvoiceStore(db)
                let numbers = try store.finalize(period: Self.november, issuer: Self.issuer, issueDate: try CivilDate(parsing: "2026-12-01"))
                #expect(numbers == (1...4).map { "INV-2026-00000\($0)" })  // acme, berlin, paris, tokyo (idle has nothing)
                #expect(try store.invoice(named: "INV-2026-000001").customer.id == "acme")
                // The database refuses changes to issued invoices, whatever the client.
                try CreditStore(db).grant(customer: "acme", amount: Money(ExactDecimal(1), .usd), expiresOn: try CivilDate(parsing: "2027-01-31"),
                                                      reason: "test", grantedOn: try CivilDate(parsing: "2026-12-01"))
                for sql: SQL in [
                    "UPDATE invoices SET total = 0 WHERE number = 'INV-2026-000001'",
                    "UPDATE invoices SET lines = jsonb_set(lines::jsonb, '{0,amount}', '\"0\"')::json WHERE number = 'INV-2026-000001'",
                    "UPDATE invoices SET lines = '[]', taxes = '[]', tag_usage = '[]' WHERE number = 'INV-2026-000001'",
                    "DELETE FROM invoices WHERE number = 'INV-2026-000001'",
                    "INSERT INTO invoice_credits SELECT 'acme', '2026-11-01', max(id), 1 FROM credit_grants",
                ] {
                    #expect(performing: { try db.execute(sql) }, throws: { SQLState.objectNotInPrerequisiteState ~= $0 })
                }
                try store.markPaid(number: "INV-2026-000001", on: try CivilDate(parsing: "2026-12-10"), today: try CivilDate(parsing: "2026-12-31"))
                #expect(try store.invoice(named: "INV-2026-000001").status == .paid)
                // A paid invoice is not voided (the database would refuse it with a raw check violation):
                // a refusal that says what to do instead, and nothing written.
                #expect { try store.void(number: "INV-2026-000001", reason: "refund", on: try CivilDate(parsing: "2026-12-10")) } throws: {
                    InvoiceError.Code.state ~= $0 && "\($0)".contains("INV-2026-000001 is paid") && "\($0)".contains("tally invoice credit-note INV-2026-000001")
                }
                #expect(try store.creditNotes(of: "INV-2026-000001").isEmpty && store.invoice(named: "INV-2026-000001").status == .paid)
                // Re-running November leaves issued invoices as they are.
                #expect(try InvoiceRun(db, issuer: Self.issuer).run(period: Self.november).skippedIssued == 4)
                // A November event arriving now is late: billed in December, continuing November's output tiers (1.2M billed).
                try temp.write("late.ndjson", Self.event("late1", "acme", "2026-11-29T12:00:00Z", output: 100_000))
                let s = try UsageIngester(db).ingest(path: temp.path("late.ndjson"), format: .ndjson, rejectsPath: temp.path("r.ndjson"), now: TestClock.now)
                #expect(s.late == 1)
                try InvoiceRun(db, issuer: Self.issuer).run(period: Self.december)
                let dec = try store.invoice(named: "acme/2026-12")
                #expect(lines(dec) == ["2026-11 output 2026-11-15 b1 100000 @1.5 = 0.15"])
                #expect(dec.lines[0].description(invoicePeriod: Self.december).contains("late usage of 2026-11"))
                // Void: a credit note for all of it; a second void is refused.
                let note = try store.void(number: "INV-2026-000002", reason: "wrong entity", on: try CivilDate(parsing: "2026-12-05"))
                let voided = try store.invoice(named: "INV-2026-000002")
                #expect(note.number == "CN-2026-000001" && note.total == voided.total)
                #expect(try store.invoice(named: "INV-2026-000002").status == .void)
                #expect(throws: InvoiceError.self) { try store.void(number: "INV-2026-000002", reason: "again", on: try CivilDate(parsing: "2026-12-05")) }
                // Partial credit: part of a line, then no more than what is left of it.
                let partial = try store.creditNote(number: "INV-2026-000001", lines: [1: Money(d("0.40"), .usd)],
                                                   reason: "goodwill", on: try CivilDate(parsing: "2026-12-06"))
                #expect(partial.number == "CN-2026-000002" && partial.net.amount == d("0.40"))
                #expect(throws: InvoiceError.self) {
                    try store.creditNote(number: "INV-2026-000001", lines: [1: Money(d("0.61"), .usd)], reason: "too much",
                                         on: try CivilDate(parsing: "2026-12-06"))
                }
            }
        }
    }

    @Test func concurrentFinalizersLeaveNoGapOrDuplicate() async throws {
        try await withMonth { pool, _ in
            try await pool.withConnection { db in
                try InvoiceRun(db, issuer: Self.issuer).run(period: Self.november)
            }
            let date = try CivilDate(parsing: "2026-12-01")
            async let one = pool.withConnection { db in try InvoiceStore(db).finalize(period: Self.november, customer: "acme", issuer: Self.issuer, issueDate: date) }
            async let two = pool.withConnection { db in try InvoiceStore(db).finalize(period: Self.november, issuer: Self.issuer, issueDate: date) }
            async let three = pool.withConnection { db in try InvoiceStore(db).finalize(period: Self.november, customer: "tokyo", issuer: Self.issuer, issueDate: date) }
            let all = try await one + two + three
            #expect(all.sorted() == (1...4).map { "INV-2026-00000\($0)" })
        }
    }

    @Test func aFinalizeKilledHalfWayGivesItsNumbersBack() async throws {
        try await withMonth { pool, _ in
            let date = try CivilDate(parsing: "2026-12-01")
            // The victim numbers an invoice inside a transaction that never commits:
            // its backend is killed (as a crash or kill -9 of the client would end it).
            try await pool.withConnection { db in
                let victim = try db.scalar("SELECT pg_backend_pid()", as: Int.self)
                try db.execute("BEGIN")
                let numbers = try InvoiceStore(db).finalize(period: Self.november, customer: "acme", issuer: Self.issuer, issueDate: date)
                #expect(numbers == ["INV-2026-000001"])
                let killer = try PostgresConnection(configuration: db.configuration)
                _ = try killer.scalar("SELECT pg_terminate_backend(\(victim)::int)", as: Bool.self)
                #expect(throws: (any Error).self) { try db.execute("COMMIT") }
            }
            let numbers = try await pool.withConnection { db in
                try InvoiceStore(db).finalize(period: Self.november, issuer: Self.issuer, issueDate: date)
            }
            #expect(numbers == (1...4).map { "INV-2026-00000\($0)" })
        }
    }

    @Test func unpricedModelsAreAllReportedAndNothingIsWritten() async throws {
        try await withMonth { pool, temp in
            try await pool.withConnection { db in
                // Prices for "n" only on the USD card: tokyo (JPY card) used it too.
                try db.execute("INSERT INTO rate_card_prices VALUES ('usd', '2026-10-01T00:00:00Z', 'n', 'input', 0, NULL, NULL, 1)")
                try temp.write("n.ndjson", [
                    Self.event("n1", "tokyo", "2026-11-06T00:00:00Z", input: 10).replacingOccurrences(of: #""model":"m""#, with: #""model":"n""#),
                    Self.event("n2", "berlin", "2026-11-06T00:00:00Z", output: 10).replacingOccurrences(of: #""model":"m""#, with: #""model":"n""#),
                ].joined(separator: "\n"))
                _ = try UsageIngester(db).ingest(path: temp.path("n.ndjson"), format: .ndjson, rejectsPath: temp.path("r.ndjson"), now: TestClock.now)
                do {
                    try InvoiceRun(db, issuer: Self.issuer).run(period: Self.november)
                    Issue.record("the run should have refused")
                } catch let gaps as InvoiceRun.Gaps {
                    #expect(gaps.problems.count == 2)
                    #expect(gaps.problems.contains { $0.hasPrefix("tokyo: card 'jpy' does not price n input") })
                    #expect(gaps.problems.contains { $0.hasPrefix("berlin: card 'usd-deal' does not price n output") })
                }
                #expect(try db.scalar("SELECT count(*) FROM invoices", as: Int.self) == 0)
            }
        }
    }

    /// A grant, a void and a credit note need a reason that says something:
    /// empty or white space is refused with a sentence naming `--reason`
    /// (not the table's check), and nothing is written, no number taken.
    @Test func reasonsThatSayNothingAreRefusedBeforeAnythingIsWritten() async throws {
        try await withMonth { pool, _ in
            try await pool.withConnection { db in
                let day = { (text: String) in try CivilDate(parsing: text) }
                let credits = CreditStore(db)
                for reason in ["", "   ", "\t \n"] {
                    #expect {
                        try credits.grant(customer: "acme", amount: Money(ExactDecimal(1), .usd), expiresOn: try day("2027-01-31"), reason: reason,
                                          grantedOn: try day("2026-11-01"))
                    } throws: {
                        InvoiceError.Code.invalidInput ~= $0 && "\($0)".hasPrefix("--reason \"\(reason)\": a grant needs a reason")
                    }
                }
                #expect(try db.scalar("SELECT count(*) FROM credit_grants", as: Int.self) == 0)
                let store = InvoiceStore(db)
                try store.finalize(period: Self.november, issuer: Self.issuer, issueDate: try day("2026-12-01"))
                for reason in ["", "  "] {
                    #expect { try store.void(number: "INV-2026-000001", reason: reason, on: try day("2026-12-02")) } throws: {
                        InvoiceError.Code.invalidInput ~= $0 && "\($0)".contains("a void needs a reason")
                    }
                    #expect { try store.creditNote(number: "INV-2026-000001", lines: [1: nil], reason: reason, on: try day("2026-12-02")) } throws: {
                        InvoiceError.Code.invalidInput ~= $0 && "\($0)".contains("a credit note needs a reason")
                    }
                }
                #expect(try db.scalar("SELECT count(*) FROM credit_notes", as: Int.self) == 0)
                #expect(try store.invoice(named: "INV-2026-000001").status == .finalized)
                // A reason with words still works, and takes the first credit note number.
                #expect(try store.void(number: "INV-2026-000001", reason: "wrong entity", on: try day("2026-12-02")).number == "CN-2026-000001")
            }
        }
    }

    /// The ledger as of a day shows only what happened on or before it: a
    /// grant made later is not there yet, nor is its balance.
    @Test func theLedgerAsOfADayLeavesOutWhatCameAfter() async throws {
        try await withMonth { pool, _ in
            try await pool.withConnection { db in
                let day = { (text: String) in try CivilDate(parsing: text) }
                let credits = CreditStore(db)
                try credits.grant(customer: "acme", amount: Money(ExactDecimal(5), .usd), expiresOn: try day("2027-03-31"), reason: "first",
                                  grantedOn: try day("2026-11-01"))
                try credits.grant(customer: "acme", amount: Money(ExactDecimal(7), .usd), expiresOn: try day("2027-03-31"), reason: "later",
                                  grantedOn: try day("2026-12-20"))
                try InvoiceRun(db, issuer: Self.issuer).run(period: Self.november)
                try InvoiceStore(db).finalize(period: Self.november, issuer: Self.issuer, issueDate: try day("2026-12-05"))
                func ledger(_ asOf: String) throws -> [String] {
                    try credits.ledger(customer: "acme", asOf: try day(asOf)).map { "\($0.date) \($0.kind.rawValue) \($0.amount.amount) = \($0.balance.amount)" }
                }
                #expect(try ledger("2026-11-15") == ["2026-11-01 grant 5 = 5"])
                #expect(try ledger("2026-12-05") == ["2026-11-01 grant 5 = 5", "2026-12-05 consumed -4.15 = 0.85"])
                #expect(try ledger("2026-12-20") == ["2026-11-01 grant 5 = 5", "2026-12-05 consumed -4.15 = 0.85", "2026-12-20 grant 7 = 7.85"])
            }
        }
    }

    /// The numbering counters are as protected as the documents: no DELETE,
    /// no TRUNCATE, no UPDATE that lowers a counter or its last issue date or
    /// moves it to another issuer, kind or year (migration 0011); numbering
    /// goes on gapless afterwards.
    @Test func numberingCountersCannotBeDeletedOrLowered() async throws {
        try await withMonth { pool, _ in
            try await pool.withConnection { db in
                let day = { (text: String) in try CivilDate(parsing: text) }
                let store = InvoiceStore(db)
                #expect(try store.finalize(period: Self.november, customer: "acme", issuer: Self.issuer, issueDate: try day("2026-12-01")) == ["INV-2026-000001"])
                let counters: SQL = "SELECT string_agg(issuer || ' ' || kind || ' ' || year || ' ' || last_number || ' ' || last_issue_date, '; ') FROM document_sequences"
                let before = try db.scalar(counters, as: String.self)
                for sql: SQL in [
                    "DELETE FROM document_sequences",
                    "TRUNCATE document_sequences",
                    "UPDATE document_sequences SET last_number = last_number - 1",
                    "UPDATE document_sequences SET last_issue_date = last_issue_date - 1",
                    "UPDATE document_sequences SET last_issue_date = NULL",
                    "UPDATE document_sequences SET issuer = 'other'",
                    "UPDATE document_sequences SET kind = 'CN'",
                    "UPDATE document_sequences SET year = year + 1",
                ] {
                    #expect("\(sql)", performing: { try db.execute(sql) }, throws: { SQLState.objectNotInPrerequisiteState ~= $0 })
                }
                #expect(try db.scalar(counters, as: String.self) == before)
                #expect(try store.finalize(period: Self.november, customer: "berlin", issuer: Self.issuer, issueDate: try day("2026-12-01")) == ["INV-2026-000002"])
            }
        }
    }

    /// The missing tax rate names where tax rates live: files in rates/tax/.
    @Test func aMissingTaxRateNamesTheTaxFolder() async throws {
        try await withMonth { pool, temp in
            try await pool.withConnection { db in
                _ = try CustomerStore(db).add([
                    "id": "london", "name": "London Ltd", "billing_email": "ap@london.co.uk", "country": "GB", "tax_treatment": "standard",
                    "currency": "USD", "card": "usd",
                ])
                try temp.write("gb.ndjson", Self.event("l1", "london", "2026-11-04T00:00:00Z", input: 1_000_000))
                _ = try UsageIngester(db).ingest(path: temp.path("gb.ndjson"), format: .ndjson, rejectsPath: temp.path("r.ndjson"), now: TestClock.now)
                do {
                    try InvoiceRun(db, issuer: Self.issuer).run(period: Self.november)
                    Issue.record("the run should have refused")
                } catch let gaps as InvoiceRun.Gaps {
                    #expect(gaps.problems.contains {
                        $0.contains("london: no tax rate for country GB on 2026-11-30") && $0.contains("rates/tax/ (e.g. rates/tax/standard-rates.yaml)")
                            && !$0.contains("rates/tax.yaml")
                    }, "\(gaps.problems)")
                }
            }
        }
    }
}
