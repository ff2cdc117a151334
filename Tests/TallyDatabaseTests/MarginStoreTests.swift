import Foundation
import Testing
import TallyCore
import TallyDatabase
import TallyPostgres
import TallyTesting

/// Margin reports against PostgreSQL: invoices (issued and draft, USD and
/// EUR) read from their stored lines, a customer without an invoice rated
/// and labelled, a negative margin flagged, a void invoice counting zero.
///
/// Supply: us-east/H100 2 GPUs × $10 and de-fra/L40S 1 GPU × €5 (1.10 on
/// Nov 1), Nov 1 00:00–02:00: purchase 40 + 11 = 51, model m uses 3 + 1
/// GPU-hours (used 30 + 5.5), fully loaded 51. Usage of m, weighted 1/0.1/4:
/// acme 2M, berlin 3M, cheap 1M → fully loaded 17 / 25.5 / 8.5.
/// Revenue: acme $20.00 (issued), berlin €20.00 × 1.20 = $24.00 (draft),
/// cheap $10.00 (rated, no invoice).
@Suite("Margin from the database")
struct MarginStoreTests {
    static let files: [String: String] = [
        "sites.csv": "id,provider,country,currency\nus-east,Acme,US,USD\nde-fra,Hetz,DE,EUR\n",
        "gpu_types.csv": "id,memory_gb,description\nH100,80,\nL40S,48,\n",
        "fx.csv": "day,currency,rate\n2026-11-01,EUR,1.10\n2026-11-30,EUR,1.20\n",
        "contracts.csv": """
            id,site_id,gpu_type_id,gpu_count,starts_at,ends_at,price_per_gpu_hour,upfront_fee
            r-us,us-east,H100,2,2026-11-01T00:00:00Z,2026-11-01T02:00:00Z,10,0
            r-de,de-fra,L40S,1,2026-11-01T00:00:00Z,2026-11-01T02:00:00Z,5,0

            """,
        "allocations.csv": """
            hour,site_id,gpu_type_id,model,gpus_used
            2026-11-01T00:00:00Z,us-east,H100,m,2
            2026-11-01T01:00:00Z,us-east,H100,m,1
            2026-11-01T00:00:00Z,de-fra,L40S,m,1

            """,
        "rates/usd.yaml": """
            card: usd
            currency: USD
            versions:
              - effective_from: 2026-10-01T00:00:00Z
                models:
                  m: { input: 10.00, cached_input: 1.00, output: 20.00 }
            """,
        "rates/eur.yaml": """
            card: eur
            currency: EUR
            versions:
              - effective_from: 2026-10-01T00:00:00Z
                models:
                  m: { input: 10.00, cached_input: 1.00, output: 20.00 }
            """,
        "tax.yaml": """
            tax_rates:
              - { country: US, effective_from: 2000-01-01, percent: 0, name: Sales tax }
              - { country: DE, effective_from: 2007-01-01, percent: 19, name: USt }
            """,
        "customers.csv": """
            id,name,billing_email,country,vat_id,tax_treatment,currency,card
            acme,Acme AI,billing@acme.ai,US,,standard,USD,usd
            berlin,Berlin GmbH,rechnung@berlin.de,DE,,standard,EUR,eur
            cheap,Cheap Inc,billing@cheap.io,US,,standard,USD,usd
            """,
        "usage.ndjson": [
            #"{"id":"a1","customer":"acme","model":"m","timestamp":"2026-11-01T00:10:00Z","input_tokens":2000000,"site":"us-east"}"#,
            #"{"id":"b1","customer":"berlin","model":"m","timestamp":"2026-11-01T00:30:00Z","input_tokens":1000000,"output_tokens":500000,"site":"de-fra"}"#,
            #"{"id":"c1","customer":"cheap","model":"m","timestamp":"2026-11-01T01:00:00Z","input_tokens":1000000,"site":"us-east"}"#,
        ].joined(separator: "\n"),
    ]
    static let issuer = Issuer.test
    static let november = try! BillingMonth(parsing: "2026-11")
    func d(_ text: String) -> ExactDecimal { try! ExactDecimal(parsing: text) }

    func withMonth(_ body: @escaping @Sendable (PostgresConnection) throws -> Void) async throws {
        let temp = try TemporaryFiles(Self.files)
        defer { temp.remove() }
        try await TestDatabase.withSchema { pool, _ in
            try await pool.withConnection { db in
                _ = try SupplyImporter().importFiles(
                    ["sites.csv", "gpu_types.csv", "fx.csv", "contracts.csv", "allocations.csv"].map(temp.path), into: db)
                let (cards, problems) = RateCardFile.parseAll(path: temp.path("rates"))
                #expect(problems.isEmpty)
                _ = try RateCardStore(db).load(cards)
                try TaxRateStore(db).load(TaxRateFile.parseAll(path: temp.path("tax.yaml")).rates)
                _ = try CustomerStore(db).importFile(temp.path("customers.csv"))
                _ = try UsageIngester(db).ingest(path: temp.path("usage.ndjson"), format: .ndjson, rejectsPath: temp.path("r.ndjson"), now: TestClock.now)
                // acme issued, berlin a draft, cheap not invoiced at all.
                try InvoiceRun(db, issuer: Self.issuer).run(period: Self.november, customer: "acme")
                try InvoiceRun(db, issuer: Self.issuer).run(period: Self.november, customer: "berlin")
                _ = try InvoiceStore(db).finalize(
                    period: Self.november, customer: "acme", issuer: Self.issuer, issueDate: try CivilDate(parsing: "2026-12-01"))
                try body(db)
            }
        }
    }

    func facts(_ db: PostgresConnection) throws -> MarginFacts {
        try MarginStore(db).facts(for: Self.november)
    }

    @Test func revenueIsInvoiceSubtotalsPlusTheLabelledRatedAmount() async throws {
        try await withMonth { db in
            let report = try MarginReport(try facts(db), by: .customer)
            let t = report.totals
            #expect(t.revenue == 54 && t.invoicedRevenue == 44 && t.ratedRevenue == 10)
            // The invoices' own subtotals, as stored.
            let subtotals = try db.execute("SELECT currency, sum(subtotal) FROM invoices WHERE period = '2026-11-01' GROUP BY 1 ORDER BY 1")
                .map { "\(try $0.decode(0, as: String.self)) \(try $0.decode(1, as: ExactDecimal.self))" }
            #expect(subtotals == ["EUR 20", "USD 20"])
            #expect(report.revenueByCurrency.map { "\($0.currency) \($0.invoiced ? "invoiced" : "rated") \($0.documents) \($0.subtotal) ×\($0.rate) = \($0.converted)" } == [
                "EUR invoiced 1 20 ×1.2 = 24", "USD invoiced 1 20 ×1 = 20", "USD rated 1 10 ×1 = 10",
            ])
            #expect(t.purchaseCost == 51 && t.usedCost == d("35.5") && t.fullyLoadedCost == 51 && t.strandedCost == 0)
            let rows = Dictionary(uniqueKeysWithValues: report.rows.map { ($0.key, $0) })
            #expect(rows["acme"]?.fullyLoadedCost == 17 && rows["acme"]?.grossMargin == 3 && rows["acme"]?.includesRated == false)
            // berlin: €20.00 at 1.20 = 24.00 against 25.50 of cost: negative, flagged.
            #expect(rows["berlin"]?.revenue == 24 && rows["berlin"]?.grossMargin == d("-1.5") && rows["berlin"]?.isNegativeMargin == true)
            #expect(rows["cheap"]?.revenue == 10 && rows["cheap"]?.ratedRevenue == 10 && rows["cheap"]?.includesRated == true)
            #expect(report.rows.filter(\.isNegativeMargin).map(\.key) == ["berlin"])

            let bySite = try MarginReport(try facts(db), by: .site)
            #expect(bySite.rows.map { "\($0.key) \($0.revenue) \($0.fullyLoadedCost)" } == ["de-fra 24 11", "us-east 30 40"])
            #expect(bySite.totals == report.totals)
        }
    }

    @Test func aVoidInvoiceCountsZeroAndIsNotRated() async throws {
        try await withMonth { db in
            _ = try InvoiceStore(db).void(number: "INV-2026-000001", reason: "wrong entity", on: try CivilDate(parsing: "2026-12-05"))
            let report = try MarginReport(try facts(db), by: .customer)
            #expect(report.totals.revenue == 34 && report.totals.ratedRevenue == 10)
            #expect(report.voided.map(\.name) == ["INV-2026-000001"])
            #expect(report.rows.first { $0.key == "acme" }?.revenue == 0)
            #expect(report.rows.first { $0.key == "acme" }?.isNegativeMargin == true)
        }
    }

    @Test func aPricingGapOfAnUninvoicedCustomerIsAnError() async throws {
        try await withMonth { db in
            try db.execute(
                """
                INSERT INTO usage_hourly (customer_id, hour, model, site_id, tag, input_tokens, cached_input_tokens, output_tokens,
                                          events, billing_month)
                VALUES ('cheap', '2026-11-02T00:00:00Z', 'zzz', 'us-east', '', 5, 0, 0, 1, '2026-11-01')
                """)
            #expect {
                try MarginReport(try facts(db), by: .model)
            } throws: { error in
                "\(error)".contains("cheap") && "\(error)".contains("zzz")
            }
        }
    }
}
