import Foundation
import Testing
import TallyCore
import TallyDatabase
import TallyPostgres
import TallyTesting

/// Usage that arrives after its month was finalized (SPEC §4): it goes on the
/// next open invoice, marked late, even for a customer that had no invoice
/// of that month; every token ingested ends up on exactly one invoice.
@Suite("Late usage")
struct LateUsageTests {
    static let october = try! BillingMonth(parsing: "2026-10")
    static let november = try! BillingMonth(parsing: "2026-11")

    /// The cards, taxes and customers of ``InvoiceTests``, no usage; model
    /// "n" is priced (input, 1.00) by both versions of the USD card only.
    func withCustomers(_ body: @escaping @Sendable (PostgresConnection, TemporaryFiles) throws -> Void) async throws {
        let temp = try TemporaryFiles([
            "rates/usd.yaml": InvoiceTests.cards, "rates/deal.yaml": InvoiceTests.discount,
            "rates/jpy.yaml": InvoiceTests.jpy, "tax.yaml": InvoiceTests.taxes, "customers.csv": InvoiceTests.customers,
        ])
        defer { temp.remove() }
        try await TestDatabase.withSchema { pool, _ in
            try await pool.withConnection { db in
                let (cards, problems) = RateCardFile.parseAll(path: temp.path("rates"))
                #expect(problems.isEmpty)
                _ = try RateCardStore(db).load(cards)
                try db.execute("""
                    INSERT INTO rate_card_prices VALUES ('usd', '2026-10-01T00:00:00Z', 'n', 'input', 0, NULL, NULL, 1),
                                                        ('usd', '2026-11-15T00:00:00Z', 'n', 'input', 0, NULL, NULL, 1)
                    """)
                try TaxRateStore(db).load(TaxRateFile.parseAll(path: temp.path("tax.yaml")).rates)
                _ = try CustomerStore(db).importFile(temp.path("customers.csv"))
                try body(db, temp)
            }
        }
    }

    func ingest(_ db: PostgresConnection, _ temp: TemporaryFiles, _ events: [String]) throws -> UsageIngester.Summary {
        try temp.write("events.ndjson", events.joined(separator: "\n"))
        return try UsageIngester(db).ingest(path: temp.path("events.ndjson"), format: .ndjson, rejectsPath: temp.path("rejects.ndjson"), now: TestClock.now)
    }

    static func event(_ id: String, _ customer: String, _ at: String, model: String = "m", input: Int = 0, cached: Int = 0, output: Int = 0) -> String {
        InvoiceTests.event(id, customer, at, input: input, cached: cached, output: output)
            .replacingOccurrences(of: #""model":"m""#, with: #""model":"\#(model)""#)
    }

    /// The issue's case: October finalized on 2026-11-03; idle's first-ever
    /// event, dated 2026-10-28, arrives after that; so does acme's first use
    /// of a model its October invoice does not have. Both are late usage of
    /// October on the November invoices.
    @Test func lateUsageOfACustomerWithoutAnInvoiceOfItsMonthGoesOnTheNextInvoice() async throws {
        try await withCustomers { db, temp in
            _ = try ingest(db, temp, [Self.event("a1", "acme", "2026-10-10T10:00:00Z", input: 1_000_000)])
            let store = InvoiceStore(db)
            #expect(try store.finalize(period: Self.october, issuer: InvoiceTests.issuer, issueDate: try CivilDate(parsing: "2026-11-03"))
                    == ["INV-2026-000001"])
            let late = try ingest(db, temp, [
                Self.event("i1", "idle", "2026-10-28T09:00:00Z", input: 2_000_000),
                Self.event("a2", "acme", "2026-10-29T09:00:00Z", model: "n", input: 3_000_000),
            ])
            #expect(late.accepted == 2 && late.late == 2)
            try InvoiceRun(db, issuer: InvoiceTests.issuer).run(period: Self.november)
            let idle = try store.invoice(named: "idle/2026-11")
            #expect(idle.lines.map { "\($0.usageMonth) \($0.model) \($0.quantity) \($0.amount.amount)" } == ["2026-10 m 2000000 2"])
            #expect(idle.lines[0].description(invoicePeriod: Self.november).contains("late usage of 2026-10"))
            let acme = try store.invoice(named: "acme/2026-11")
            #expect(acme.lines.map { "\($0.usageMonth) \($0.model) \($0.quantity) \($0.amount.amount)" } == ["2026-10 n 3000000 3"])
            // October's run changes nothing: its invoices are issued and the month is closed.
            #expect(try InvoiceRun(db, issuer: InvoiceTests.issuer).run(period: Self.october).drafts == 0)
        }
    }

    /// Random arrival orders of events of three months, interleaved with the
    /// finalization of each month (sometimes one customer first): every token
    /// ingested is on exactly one invoice, per customer, usage month and class.
    @Test(arguments: 1...8)
    func everyTokenIngestedEndsUpOnExactlyOneInvoice(seed: Int) async throws {
        var random = SeededRandom(seed: UInt64(seed))
        let months = ["2026-10", "2026-11", "2026-12"].map { try! BillingMonth(parsing: $0) }
        let customers = ["acme", "berlin", "idle", "paris", "tokyo"]
        struct Key: Hashable, CustomStringConvertible {
            let customer: String
            let month: BillingMonth
            let tokenClass: TokenClass
            var description: String { "\(customer) \(month) \(tokenClass.rawValue)" }
        }
        var ingested: [Key: Int64] = [:]
        var events: [String] = []
        for i in 0..<Int.random(in: 15...30, using: &random) {
            let customer = customers.randomElement(using: &random)!
            let month = months.randomElement(using: &random)!
            let hour = Int64.random(in: 0..<Int64(month.lastDay.day * 24), using: &random)
            let at = month.start.adding(microseconds: hour * UTCTimestamp.microsecondsPerHour)
            let model = customer != "tokyo" && Bool.random(using: &random) ? "n" : "m"
            let input = Int.random(in: 1...2_000_000, using: &random)
            let cached = model == "m" ? Int.random(in: 0...500_000, using: &random) : 0
            let output = model == "m" ? Int.random(in: 0...900_000, using: &random) : 0
            events.append(Self.event("e\(i)", customer, at.description, model: model, input: input, cached: cached, output: output))
            for (tokenClass, n) in [(TokenClass.input, input), (.cachedInput, cached), (.output, output)] where n > 0 {
                ingested[Key(customer: customer, month: month, tokenClass: tokenClass), default: 0] += Int64(n)
            }
        }
        events.shuffle(using: &random)
        // Batches in arrival order, with each month's finalization at a random place (in month order).
        enum Step { case ingest([String]), finalize(BillingMonth, customer: String?) }
        var steps: [Step] = []
        var rest = events[...]
        while !rest.isEmpty {
            let n = Int.random(in: 1...max(1, rest.count / 2), using: &random)
            steps.append(.ingest(Array(rest.prefix(n))))
            rest = rest.dropFirst(n)
        }
        var at = 0
        for month in months {
            at = Int.random(in: at...steps.count, using: &random)
            steps.insert(.finalize(month, customer: nil), at: at)
            at += 1
            if Bool.random(using: &random) {
                steps.insert(.finalize(month, customer: customers.randomElement(using: &random)!), at: at - 1)
                at += 1
            }
        }
        let expected = ingested
        let plan = steps
        try await withCustomers { db, temp in
            let store = InvoiceStore(db)
            for step in plan {
                switch step {
                case .ingest(let batch):
                    let summary = try ingest(db, temp, batch)
                    #expect(summary.accepted == batch.count && summary.rejected == 0)
                case .finalize(let month, let customer):
                    try store.finalize(period: month, customer: customer, issuer: InvoiceTests.issuer, issueDate: month.next.firstDay.adding(days: 2))
                }
            }
            // Every month is closed now; the next open one takes what came late.
            let january = months.last!.next
            try InvoiceRun(db, issuer: InvoiceTests.issuer).run(period: january)
            var invoiced: [Key: Int64] = [:]
            for period in months + [january] {
                for invoice in try store.invoices(period: period) {
                    for line in invoice.lines {
                        invoiced[Key(customer: invoice.customer.id, month: line.usageMonth, tokenClass: line.tokenClass), default: 0] += line.quantity
                    }
                }
            }
            #expect(invoiced == expected, "seed \(seed): \(plan.count) steps")
        }
    }
}
