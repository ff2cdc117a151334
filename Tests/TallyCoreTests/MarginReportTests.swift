import Foundation
import FoundationXML
import Testing
import TallyCore
import TallyTesting

/// A month small enough to compute by hand (figures in the comments), then
/// every dimension, the reconciliation errors and the chart.
///
/// Pools: A = us/H100 (USD) 2 GPUs × $10, Nov 1 00:00–02:00 and Nov 2 00:00–01:00
/// (idle day); B = de/L40S (EUR, 1.10 on Nov 1) 1 GPU × €5, Nov 1 00:00–02:00;
/// C = us/A100 1 GPU × $3 for an hour, nobody uses it (stranded $3).
/// A: m1 2 GPUs (00h) + 1 (01h), m2 1 (01h): used m1 30, m2 10; Nov 2 idle 20
/// shared 3:1 → fully loaded m1 45, m2 15. B: m2 1 (00h), m3 1 (01h): 5.5 each.
/// Purchase 74 = used 51 + idle 23 = fully loaded 71 + stranded 3.
@Suite("Margin report")
struct MarginReportTests {
    static let november = try! BillingMonth(parsing: "2026-11")
    static func t(_ text: String) -> UTCTimestamp { try! UTCTimestamp(parsing: text) }
    static func day(_ text: String) -> CivilDate { try! CivilDate(parsing: text) }
    static func d(_ text: String) -> ExactDecimal { try! ExactDecimal(parsing: text) }
    static func usd(_ text: String) -> Money { Money(d(text), .usd) }

    static func ledger(fx: FXTable) throws -> CostLedger {
        let a = Pool(site: "us", gpuType: "H100")
        let b = Pool(site: "de", gpuType: "L40S")
        let c = Pool(site: "us", gpuType: "A100")
        let engine = CostEngine(
            period: CostPeriod(month: november),
            sites: [Site(id: "us", provider: "p", country: "US", currency: .usd), Site(id: "de", provider: "p", country: "DE", currency: .eur)],
            fx: fx)
        let purchases = [
            CapacityPurchase(id: "a1", kind: .reserved, pool: a, gpuCount: 2, start: t("2026-11-01T00:00:00Z"), end: t("2026-11-01T02:00:00Z"), pricePerGPUHour: 10),
            CapacityPurchase(id: "a2", kind: .reserved, pool: a, gpuCount: 2, start: t("2026-11-02T00:00:00Z"), end: t("2026-11-02T01:00:00Z"), pricePerGPUHour: 10),
            CapacityPurchase(id: "b1", kind: .reserved, pool: b, gpuCount: 1, start: t("2026-11-01T00:00:00Z"), end: t("2026-11-01T02:00:00Z"), pricePerGPUHour: 5),
            CapacityPurchase(id: "c1", kind: .reserved, pool: c, gpuCount: 1, start: t("2026-11-01T00:00:00Z"), end: t("2026-11-01T01:00:00Z"), pricePerGPUHour: 3),
        ]
        let allocations = [
            Allocation(hour: t("2026-11-01T00:00:00Z"), pool: a, model: "m1", gpusUsed: 2),
            Allocation(hour: t("2026-11-01T01:00:00Z"), pool: a, model: "m1", gpusUsed: 1),
            Allocation(hour: t("2026-11-01T01:00:00Z"), pool: a, model: "m2", gpusUsed: 1),
            Allocation(hour: t("2026-11-01T00:00:00Z"), pool: b, model: "m2", gpusUsed: 1),
            Allocation(hour: t("2026-11-01T01:00:00Z"), pool: b, model: "m3", gpusUsed: 1),
        ]
        return try engine.compute(purchases: purchases, allocations: allocations)
    }

    static func fx() -> FXTable {
        var fx = FXTable(reportingCurrency: .usd)
        fx.add(day: day("2026-11-01"), currency: .eur, rate: d("1.10"))
        fx.add(day: day("2026-11-30"), currency: .eur, rate: d("1.20"))
        return fx
    }

    /// c1 (USD, invoiced 70.00), c2 (EUR, invoiced 10.00 → 12.00 at 1.20), c3 (USD, rated 5.00, not invoiced).
    static func facts(documents: [RevenueDocument]? = nil, fx: FXTable = fx()) throws -> MarginFacts {
        let ledger = try ledger(fx: Self.fx())
        let revenue = [
            RevenueLine(customer: "c1", model: "m1", tokenClass: .input, amount: usd("50.00"), invoiced: true),
            RevenueLine(customer: "c1", model: "m2", tokenClass: .input, amount: usd("20.00"), invoiced: true),
            RevenueLine(customer: "c2", model: "m2", tokenClass: .input, amount: Money(d("10.00"), .eur), invoiced: true),
            RevenueLine(customer: "c3", model: "m1", tokenClass: .input, amount: usd("3.00"), invoiced: false),
            RevenueLine(customer: "c3", model: "m1", tokenClass: .output, amount: usd("2.00"), invoiced: false),
        ]
        let docs = documents ?? [
            RevenueDocument(customer: "c1", name: "INV-2026-000001", subtotal: usd("70.00"), invoiced: true),
            RevenueDocument(customer: "c2", name: "c2/2026-11", subtotal: Money(d("10.00"), .eur), invoiced: true),
            RevenueDocument(customer: "c3", name: "c3/2026-11 (rated)", subtotal: usd("5.00"), invoiced: false),
        ]
        // Weighted tokens (1 / 0.1 / 4): m1 c1 1M, c3 2M (half of it on Nov 2, where no allocation is);
        // m2 c1 1M (at us), c2 1M (at de). Nobody was billed for m3.
        let served = [
            ServedTokens(customer: "c1", model: "m1", site: "us", day: day("2026-11-01"), tokens: TokenCounts(input: 1_000_000)),
            ServedTokens(customer: "c3", model: "m1", site: "us", day: day("2026-11-01"), tokens: TokenCounts(input: 500_000, output: 125_000)),
            ServedTokens(customer: "c3", model: "m1", site: "us", day: day("2026-11-02"), tokens: TokenCounts(input: 500_000, output: 125_000)),
            ServedTokens(customer: "c1", model: "m2", site: "us", day: day("2026-11-01"), tokens: TokenCounts(input: 1_000_000)),
            ServedTokens(customer: "c2", model: "m2", site: "de", day: day("2026-11-01"), tokens: TokenCounts(input: 1_000_000)),
        ]
        return MarginFacts(period: november, ledger: ledger, documents: docs, revenue: revenue, served: served, weights: [:], fx: fx)
    }

    /// key: revenue, rated, used, idle share, fully loaded, margin.
    func figures(_ report: MarginReport) -> [String: [String]] {
        Dictionary(uniqueKeysWithValues: report.rows.map { row in
            (row.key, [row.revenue, row.ratedRevenue, row.usedCost, row.idleShare, row.fullyLoadedCost, row.grossMargin].map(\.description))
        })
    }

    @Test func totalsAndReconciliation() throws {
        let report = try MarginReport(try Self.facts(), by: .customer)
        let t = report.totals
        #expect(t.revenue == 87 && t.invoicedRevenue == 82 && t.ratedRevenue == 5)
        #expect(t.usedCost == 51 && t.idleShare == 20 && t.fullyLoadedCost == 71 && t.strandedCost == 3 && t.purchaseCost == 74)
        #expect(t.idleCost == 23 && t.grossMargin == 16 && t.marginAfterStranded == 13)
        #expect(t.tokens == TokenCounts(input: 4_000_000, output: 250_000))
        #expect(report.revenueByCurrency.map { "\($0.currency) \($0.invoiced) \($0.documents) \($0.subtotal) ×\($0.rate) = \($0.converted)" } == [
            "EUR true 1 10 ×1.2 = 12", "USD true 1 70 ×1 = 70", "USD false 1 5 ×1 = 5",
        ])
    }

    @Test func byCustomer() throws {
        let report = try MarginReport(try Self.facts(), by: .customer)
        // m1: used 30, idle 15 split c1 1 : c3 2; m2: used 15.5, idle 5 split c1 1 : c2 1; m3 unbilled.
        #expect(figures(report) == [
            "c1": ["70", "0", "17.75", "7.5", "25.25", "44.75"],
            "c2": ["12", "0", "7.75", "2.5", "10.25", "1.75"],
            "c3": ["5", "5", "20", "10", "30", "-25"],
            "(unbilled service)": ["0", "0", "5.5", "0", "5.5", "-5.5"],
        ])
        #expect(report.rows.map(\.key) == ["c1", "c2", "c3", "(unbilled service)"])
        #expect(report.rows.filter(\.isNegativeMargin).map(\.key) == ["c3", "(unbilled service)"])
        #expect(report.rows[2].includesRated && !report.rows[0].includesRated)
        #expect(report.rows[3].marginFraction == nil && report.rows[0].marginFraction == Self.d("0.639285714285714286"))
    }

    @Test func byModel() throws {
        let report = try MarginReport(try Self.facts(), by: .model)
        #expect(figures(report) == [
            "m1": ["55", "5", "30", "15", "45", "10"],
            "m2": ["32", "0", "15.5", "5", "20.5", "11.5"],
            "m3": ["0", "0", "5.5", "0", "5.5", "-5.5"],
        ])
        #expect(report.rows[0].tokens == TokenCounts(input: 2_000_000, output: 250_000))
    }

    @Test func bySiteGPUCountryAndDay() throws {
        let facts = try Self.facts()
        // c3's Nov 2 half of m1 (2.50 rated) finds no allocation: pool A served nothing that day.
        #expect(figures(try MarginReport(facts, by: .site)) == [
            "us": ["72.5", "2.5", "40", "20", "60", "12.5"],
            "de": ["12", "0", "11", "0", "11", "1"],
            "(no allocation)": ["2.5", "2.5", "0", "0", "0", "2.5"],
        ])
        #expect(figures(try MarginReport(facts, by: .gpu)) == [
            "H100": ["72.5", "2.5", "40", "20", "60", "12.5"],
            "L40S": ["12", "0", "11", "0", "11", "1"],
            "(no allocation)": ["2.5", "2.5", "0", "0", "0", "2.5"],
        ])
        #expect(try MarginReport(facts, by: .country).rows.map(\.key) == ["DE", "US", "(no allocation)"])
        let byDay = try MarginReport(facts, by: .day)
        #expect(figures(byDay)["2026-11-01"] == ["84.5", "2.5", "51", "20", "71", "13.5"])
        #expect(byDay.rows.last?.tokens == TokenCounts(input: 500_000, output: 125_000))
    }

    @Test func lateUsageRevenueIsShownApartWhereServingDecides() throws {
        // c1 is also invoiced 8.00 for October's usage of m1 (late usage on November's invoice).
        var facts = try Self.facts(documents: [
            RevenueDocument(customer: "c1", name: "INV-2026-000001", subtotal: Self.usd("78.00"), invoiced: true),
            RevenueDocument(customer: "c2", name: "c2/2026-11", subtotal: Money(Self.d("10.00"), .eur), invoiced: true),
            RevenueDocument(customer: "c3", name: "c3/2026-11 (rated)", subtotal: Self.usd("5.00"), invoiced: false),
        ])
        let october = try BillingMonth(parsing: "2026-10")
        facts = MarginFacts(
            period: facts.period, ledger: facts.ledger, documents: facts.documents,
            revenue: facts.revenue + [RevenueLine(customer: "c1", model: "m1", tokenClass: .input, amount: Self.usd("8.00"), invoiced: true, lateMonth: october)],
            served: facts.served, weights: facts.weights, fx: facts.fx)
        // By customer and model: revenue of the month it is invoiced in.
        let byCustomer = try MarginReport(facts, by: .customer)
        #expect(figures(byCustomer)["c1"]?.first == "78")
        // By site and day: not spread over November's serving, shown apart.
        for dimension in [MarginReport.Dimension.site, .day, .pool] {
            let report = try MarginReport(facts, by: dimension)
            let late = report.rows.first { $0.kind == .lateUsage(october) }
            #expect(late?.key == "(late usage of 2026-10)" && late?.revenue == 8 && late?.fullyLoadedCost == 0, "by \(dimension.rawValue)")
            #expect(report.totals == byCustomer.totals)
        }
        // --top never folds it.
        let top = try MarginReport(facts, by: .site, top: 1)
        #expect(top.rows.contains { $0.key == "(late usage of 2026-10)" } && top.rows.filter { $0.kind == .key }.count == 1)
    }

    @Test func topKeepsTheLargestRevenueAndFoldsTheRest() throws {
        let report = try MarginReport(try Self.facts(), by: .customer, top: 2)
        // The labelled row is never folded: it follows the folded ones.
        #expect(report.rows.map(\.key) == ["c1", "c2", "(other 1 row)", "(unbilled service)"])
        #expect(figures(report)["(other 1 row)"] == ["5", "5", "20", "10", "30", "-25"])
        #expect(figures(report)["(unbilled service)"] == ["0", "0", "5.5", "0", "5.5", "-5.5"])
        #expect(throws: MarginError.self) { try MarginReport(try Self.facts(), by: .customer, top: 0) }
    }

    @Test func linesThatDoNotAddUpToTheSubtotalsAreAnError() throws {
        let documents = [
            RevenueDocument(customer: "c1", name: "INV-2026-000001", subtotal: Self.usd("70.01"), invoiced: true),
            RevenueDocument(customer: "c2", name: "c2/2026-11", subtotal: Money(Self.d("10.00"), .eur), invoiced: true),
            RevenueDocument(customer: "c3", name: "c3/2026-11 (rated)", subtotal: Self.usd("5.00"), invoiced: false),
        ]
        #expect {
            try MarginReport(try Self.facts(documents: documents), by: .model)
        } throws: { error in
            MarginError.Code.reconciliation ~= error && "\(error)".contains("USD") && "\(error)".contains("70.01")
        }
    }

    @Test func aMissingRateForRevenueNamesCurrencyAndDay() throws {
        let documents = [RevenueDocument(customer: "c9", name: "INV-2026-000009", subtotal: Money(100, .jpy), invoiced: true)]
        var facts = try Self.facts()
        facts = MarginFacts(
            period: facts.period, ledger: facts.ledger, documents: facts.documents + documents,
            revenue: facts.revenue + [RevenueLine(customer: "c9", model: "m1", tokenClass: .input, amount: Money(100, .jpy), invoiced: true)],
            served: facts.served, weights: [:], fx: facts.fx)
        #expect {
            try MarginReport(facts, by: .customer)
        } throws: { error in
            CostError.Code.missingFXRate ~= error && "\(error)".contains("JPY") && "\(error)".contains("2026-11-30")
        }
    }

    @Test func theChartIsWellFormedAndDeterministic() throws {
        let report = try MarginReport(try Self.facts(), by: .customer)
        let svg = try MarginChart(report).svg()
        #expect(svg == (try MarginChart(report).svg()))
        let document = try XMLDocument(data: Data(svg.utf8))
        let rects = try document.nodes(forXPath: "//*[local-name()='rect']")
        #expect(rects.count == 1 + report.rows.count)
        #expect(svg.contains("#c62828") && svg.contains("Gross margin by customer, 2026-11 (USD)"))
        // c1's margin (44.75) is the longest bar: 560 px over a span of 44.75 + 25 (the lowest).
        #expect(svg.contains("width=\"359\""))
    }

    /// Random fleets, customers, currencies and revenue: every dimension
    /// reconciles, and all dimensions agree on the totals.
    @Test(arguments: 1...20)
    func everyDimensionSumsToTheSameTotals(seed: UInt64) throws {
        let fleet = try CostEnginePropertyTests.fleet(seed: seed)
        let ledger = try CostEngine(period: fleet.period, sites: fleet.sites, fx: fleet.fx)
            .compute(purchases: fleet.purchases, allocations: fleet.allocations)
        var random = SeededRandom(seed: seed &+ 1000)
        let models = ["m1", "m2", "m3", "m4"]
        let sites = fleet.sites.map(\.id) + ["elsewhere"]
        var documents: [RevenueDocument] = []
        var revenue: [RevenueLine] = []
        var served: [ServedTokens] = []
        for c in 0..<Int.random(in: 1...6, using: &random) {
            let customer = "c\(c)"
            let currency: Currency = Bool.random(using: &random) ? .usd : .eur
            let invoiced = Int.random(in: 0..<3, using: &random) > 0
            var subtotal = Money(.zero, currency)
            for model in models where Bool.random(using: &random) {
                for tokenClass in TokenClass.allCases where Bool.random(using: &random) {
                    let amount = Money(random.decimal(integerDigits: 5, places: 2).magnitude, currency)
                    subtotal = try subtotal + amount
                    revenue.append(RevenueLine(customer: customer, model: model, tokenClass: tokenClass, amount: amount, invoiced: invoiced))
                }
                for _ in 0..<Int.random(in: 0...4, using: &random) {
                    served.append(ServedTokens(
                        customer: customer, model: model, site: sites.randomElement(using: &random)!,
                        day: fleet.period.from.date.adding(days: Int.random(in: 0..<4, using: &random)),
                        tokens: TokenCounts(input: Int64.random(in: 0...9_000_000, using: &random),
                                            cachedInput: Int64.random(in: 0...1_000_000, using: &random),
                                            output: Int64.random(in: 0...3_000_000, using: &random))))
                }
            }
            documents.append(RevenueDocument(customer: customer, name: customer, subtotal: subtotal, invoiced: invoiced))
        }
        let facts = MarginFacts(period: Self.november, ledger: ledger, documents: documents, revenue: revenue, served: served,
                                weights: ["m2": ComputeWeights(input: 1, cachedInput: 0, output: 3)], fx: fleet.fx)
        let reports = try MarginReport.Dimension.allCases.map { try MarginReport(facts, by: $0) }
        for report in reports {
            #expect(report.totals == reports[0].totals)
            var revenueSum = ExactDecimal.zero
            var costSum = ExactDecimal.zero
            for row in report.rows {
                revenueSum = try revenueSum + row.revenue
                costSum = try costSum + row.fullyLoadedCost
            }
            #expect(revenueSum == report.totals.revenue && costSum == report.totals.fullyLoadedCost)
            #expect(try report.totals.fullyLoadedCost + report.totals.strandedCost == report.totals.purchaseCost)
            let top = try MarginReport(facts, by: report.dimension, top: 2)
            #expect(top.rows.filter { $0.kind == .key }.count <= 2 && top.totals == report.totals)
        }
    }
}
