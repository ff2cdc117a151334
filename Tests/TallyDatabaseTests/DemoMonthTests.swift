import Foundation
import Testing
import TallyCore
import TallyDatabase
import TallyDemo
import TallyPostgres
import TallyTesting

/// The demo month at a small scale, end to end in PostgreSQL: generated
/// supply, the project's rate cards and tax rates, customers (reverse charge,
/// a custom card, credits), usage billing exactly the served tokens,
/// invoices run and finalized; then the margin report in every dimension
/// must reconcile with the invoices and the purchase cost.
@Suite("The demo month reconciles")
struct DemoMonthTests {
    static let november = try! BillingMonth(parsing: "2026-11")
    static let issuer = Issuer.test
    static let customers = """
        id,name,billing_email,country,vat_id,tax_treatment,currency,card
        acme,Acme AI,billing@acme.example,US,,standard,USD,public
        berlin,Berlin Labs GmbH,rechnung@berlin.example,DE,DE123456789,reverse_charge,USD,public
        paris,Paris Robotique,factures@paris.example,FR,,standard,USD,public
        northwind,Northwind Labs,ap@northwind.example,US,,standard,USD,northwind-labs
        osaka,Osaka Search,billing@osaka.example,JP,,standard,USD,public

        """

    @Test func marginInEveryDimensionReconcilesWithTheInvoices() async throws {
        let temp = try TemporaryFiles(["customers.csv": Self.customers])
        defer { temp.remove() }
        try await TestDatabase.withSchema { pool, _ in
            try await pool.withConnection { db in
                var supply = SupplyGenerator(month: Self.november)
                supply.siteCount = 2
                supply.gpuTypeCount = 3
                let generated = try supply.write(to: URL(fileURLWithPath: temp.path("supply")))
                _ = try SupplyImporter().importFiles(generated.files, into: db)
                let rates = TestDatabase.projectRoot.appendingPathComponent("rates").path
                let (cards, problems) = RateCardFile.parseAll(path: rates)
                #expect(problems.isEmpty)
                _ = try RateCardStore(db).load(cards)
                _ = try TaxRateStore(db).load(TaxRateFile.parseAll(path: rates + "/tax").rates)
                _ = try CustomerStore(db).importFile(temp.path("customers.csv"))
                try CreditStore(db).grant(
                    customer: "paris", amount: Money(500, .usd), expiresOn: try CivilDate(parsing: "2027-03-31"),
                    reason: "startup programme", grantedOn: Self.november.firstDay)

                let demand = DemandGenerator(
                    month: Self.november, served: generated.served, customers: ["acme", "berlin", "paris", "northwind", "osaka"], events: 3_000)
                let written = try demand.write(ndjson: URL(fileURLWithPath: temp.path("usage.ndjson")))
                let served = generated.served.reduce(TokenCounts.zero) { $0 + $1.tokens }
                #expect(written.tokens == served)
                let ingested = try UsageIngester(db).ingest(path: temp.path("usage.ndjson"), format: .ndjson, rejectsPath: temp.path("r.ndjson"), now: TestClock.now)
                #expect(ingested.rejected == 0)

                try InvoiceRun(db, issuer: Self.issuer).run(period: Self.november)
                let numbers = try InvoiceStore(db).finalize(
                    period: Self.november, issuer: Self.issuer, issueDate: Self.november.next.firstDay)
                #expect(numbers.count == 5)
                let invoices = try InvoiceStore(db).invoices(period: Self.november)
                for invoice in invoices { try invoice.verify() }
                let subtotal = try invoices.map(\.subtotal).sum(in: .usd)
                #expect(invoices.contains { $0.customer.id == "berlin" && $0.taxes.first?.category == .reverseCharge })
                #expect(invoices.contains { $0.customer.id == "paris" && !$0.credits.isEmpty })

                let facts = try MarginStore(db).facts(for: Self.november)
                let byModel = try MarginReport(facts, by: .model)
                let t = byModel.totals
                #expect(t.revenue == subtotal.amount && t.invoicedRevenue == subtotal.amount && t.ratedRevenue.isZero)
                #expect(t.tokens == served)
                #expect(try t.fullyLoadedCost + t.strandedCost == t.purchaseCost)
                #expect(try t.usedCost + t.idleCost == t.purchaseCost)
                for dimension in MarginReport.Dimension.allCases {
                    let report = try MarginReport(facts, by: dimension)
                    #expect(report.totals == t, "totals by \(dimension.rawValue)")
                    // Every served token was billed and every billed token was served.
                    #expect(report.rows.allSatisfy { $0.kind == .key }, "labelled rows by \(dimension.rawValue)")
                    var revenue = ExactDecimal.zero
                    for row in report.rows { revenue = try revenue + row.revenue }
                    #expect(revenue == t.revenue, "Σ revenue by \(dimension.rawValue)")
                }
            }
        }
    }
}
