import ArgumentParser
import Foundation
import TallyCore
import TallyDatabase
import TallyDemo
import TallyPostgres

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Show what Tally does, end to end, on the local database.",
        discussion: """
            Starts the local database if needed and applies migrations; writes a \
            realistic month of supply data (40 sites in 15 countries, six GPU types, \
            reserved contracts, spot buys, daily FX, ~550,000 hourly allocations of 30 \
            open models) to out/demo/supply/, imports it, and prints what that capacity \
            cost: by model, with the cost per 1M tokens, and by country, with idle and \
            stranded capacity shown. Running it again re-imports the same files, which \
            changes nothing.
            """
    )

    @Option(help: "The demo month, YYYY-MM.")
    var month = "2026-11"

    @Option(help: "Number of sites (1-40); fewer makes a faster, smaller demo.")
    var sites = 40

    @Option(help: "Where to write the demo's files (default: <project>/out/demo).")
    var out: String?

    @Option(help: "Usage events to generate and ingest.")
    var events = 1_000_000

    func run() throws {
        let target = DatabaseTarget()
        let db = try target.migratedConnection()
        guard let billing = try? BillingMonth(parsing: month) else {
            throw ValidationError("--month must be YYYY-MM, got '\(month)'")
        }
        let outDirectory = out.map { URL(fileURLWithPath: $0) } ?? target.paths.root.appendingPathComponent("out/demo")

        section("Database")
        print("PostgreSQL \(db.serverVersion / 10000).\(db.serverVersion % 100) at \(db.configuration.redactedTarget)")
        let migrations = try target.migrator().status(db)
        print("migrations: \(migrations.map { "\($0.name) (\($0.state.rawValue))" }.joined(separator: ", "))")

        section("Supply: a month of GPU capacity")
        var generator = SupplyGenerator(month: billing)
        generator.siteCount = sites
        let files = try generator.write(to: outDirectory.appendingPathComponent("supply"))
        print("wrote \(files.files.count) CSV files to \(outDirectory.appendingPathComponent("supply").path) (\(files.allocationRows) allocation rows)")
        let clock = ContinuousClock()
        let started = clock.now
        for summary in try SupplyImporter().importFiles(files.files, into: db) {
            let name = URL(fileURLWithPath: summary.file).lastPathComponent
            print("  \(name): \(summary.rows) rows, \(summary.inserted) new, \(summary.updated) changed, \(summary.unchanged) unchanged")
        }
        print("imported in \((clock.now - started).milliseconds) ms")

        let (first, next) = (billing.firstDay, billing.next.firstDay)
        let period = CostPeriod(month: billing)
        let store = SupplyStore(db)
        let costStart = clock.now
        let ledger = try store.ledger(for: period)
        let weights = try store.computeWeights()
        let byModel = try CostReport(ledger: ledger, by: .model, weights: weights)
        print("costed the month in \((clock.now - costStart).milliseconds) ms")

        section("Blended cost by model (tally cost --from \(first) --to \(next) --by model)")
        print(CostReportRendering(report: byModel, grouped: true).tabular().table())

        section("Capacity and cost by country (tally cost ... --by country)")
        let byCountry = try CostReport(ledger: ledger, by: .country, weights: weights)
        print(CostReportRendering(report: byCountry, grouped: true).tabular().table())
        print("")
        for line in CostReportRendering(report: byCountry, grouped: true).reconciliation() { print(line) }

        section("Rate cards (tally rates load)")
        let rates = target.paths.root.appendingPathComponent("rates").path
        let (cards, cardProblems) = RateCardFile.parseAll(path: rates)
        guard cardProblems.isEmpty else { throw ImportError(cardProblems) }
        let loaded = try RateCardStore(db).load(cards)
        print("\(loaded.cards) cards from \(rates): \(loaded.versionsAdded) versions added, \(loaded.versionsUnchanged) unchanged")

        section("Customers (tally customers import)")
        let customersFile = outDirectory.appendingPathComponent("customers.csv")
        try Self.customersCSV().write(to: customersFile, atomically: true, encoding: .utf8)
        let imported = try CustomerStore(db).importFile(customersFile.path)
        print("\(customersFile.path): \(imported.inserted) new, \(imported.updated) changed, \(imported.unchanged) unchanged")

        section("Usage (tally usage ingest)")
        let eventsFile = outDirectory.appendingPathComponent("usage-\(month).ndjson")
        var usageGenerator = UsageGenerator(
            month: billing, events: events, customers: try CustomerStore(db).all().map(\.id),
            models: DemoCatalog.models.map(\.id), sites: DemoCatalog.sites.prefix(sites).map(\.id))
        usageGenerator.duplicatePercent = 1
        try usageGenerator.write(ndjson: eventsFile)
        let ingestStart = clock.now
        let ingested = try UsageIngester(db).ingest(
            path: eventsFile.path, format: .ndjson, rejectsPath: eventsFile.path + ".rejects.ndjson")
        print("\(eventsFile.lastPathComponent): \(ingested.lines) events, \(ingested.accepted) accepted, \(ingested.duplicates) duplicates (re-sent), \(ingested.rejected) rejected, in \((clock.now - ingestStart).milliseconds) ms")

        let busiest = try db.execute(
            "SELECT customer_id FROM usage_hourly WHERE hour >= \(billing.start) AND hour < \(billing.end) GROUP BY 1 ORDER BY sum(output_tokens) DESC, 1 LIMIT 1"
        ).first?.decode(0, as: String.self)
        if let busiest, let customer = try CustomerStore(db).customer(id: busiest) {
            section("Priced month of the busiest customer (tally rate --customer \(busiest) --period \(month))")
            let lines = try Rater(book: PriceBook(cards: try RateCardStore(db).cards()))
                .rate(usage: try UsageStore(db).hours(customer: busiest, month: billing), card: customer.card, currency: customer.currency)
            for line in lines.prefix(12) {
                print("  \(line.model) \(line.tokenClass.rawValue): \(Display.group(String(line.quantity))) tokens × \(line.unitPricePerMillion) per 1M = \(line.amount)")
            }
            if lines.count > 12 { print("  … \(lines.count - 12) more lines") }
            print("  subtotal \(try lines.map(\.amount).sum(in: customer.currency))")
        }

        section("Market reference prices (tally market import / show)")
        let marketFile = target.paths.root.appendingPathComponent("data/litellm-model-prices-1.110.2.json").path
        let (market, _) = try MarketPriceStore.parse(path: marketFile)
        try MarketPriceStore(db).replace(with: market, source: "litellm-model-prices-1.110.2.json")
        let book = PriceBook(cards: try RateCardStore(db).cards())
        for model in ["llama-3.3-70b-instruct", "deepseek-v3", "qwen-2.5-72b-instruct"] {
            let offers = try MarketPriceStore(db).prices(model: model).map(\.output).sorted()
            let ours = try book.price(card: "public", model: model, tokenClass: .output, at: billing.end.adding(microseconds: -1))
            guard let low = offers.first, let high = offers.last, let ours else { continue }
            print("  \(model): our output \(ours.price.bands[0].pricePerMillion) per 1M; market \(low) to \(high) across \(offers.count) offers")
        }

        section("Exact money")
        let tenth = try ExactDecimal(parsing: "0.1")
        print("0.1 added ten times = \(try Array(repeating: tenth, count: 10).sum()) (a binary float gives 0.9999999999999999)")
        let line = Money(try ExactDecimal(1_234_567_891) * ExactDecimal(parsing: "0.125") .divided(by: ExactDecimal(1_000_000), rounding: .halfAwayFromZero), .usd)
        print("1,234,567,891 tokens at 0.125 USD per 1M = \(line), an invoice line of \(line.rounded(.halfAwayFromZero))")

        print("\nOutputs: \(outDirectory.path). Try: tally cost --from \(first) --to \(next) --by site --format csv")
    }

    /// 200 demo customers: most on the public card, a few on Northwind's
    /// override card, EU businesses with VAT ids on reverse charge.
    static func customersCSV() -> String {
        var random = SeededRandom(seed: 200)
        let countries = ["US", "US", "US", "GB", "DE", "FR", "NL", "SE", "CA", "JP", "SG", "IN", "AU", "CH", "IE", "ES"]
        let words = ["Acme", "Blue", "Cedar", "Delta", "Echo", "Fjord", "Granite", "Harbor", "Iris", "Juniper", "Kite", "Lumen",
                     "Maple", "Nimbus", "Onyx", "Pixel", "Quartz", "Rover", "Sierra", "Tidal"]
        let kinds = ["AI", "Labs", "Systems", "Analytics", "Robotics", "Health", "Legal", "Search", "Code", "Voice"]
        var text = "id,name,billing_email,country,vat_id,tax_treatment,currency,card\n"
        for i in 1...200 {
            let name = "\(words[(i * 7) % words.count]) \(kinds[(i * 3) % kinds.count]) \(i)"
            let id = name.lowercased().replacingOccurrences(of: " ", with: "-")
            let country = countries[Int.random(in: 0..<countries.count, using: &random)]
            let eu = Customer.euCountries.contains(country)
            let business = eu && Int.random(in: 0..<4, using: &random) > 0
            let vat = business ? "\(country)\(Int.random(in: 100_000_000...999_999_999, using: &random))" : ""
            let card = i % 25 == 0 ? "northwind-labs" : "public"
            text += "\(id),\(name),billing@\(id).example,\(country),\(vat),\(business ? "reverse_charge" : "standard"),USD,\(card)\n"
        }
        return text
    }

    private func section(_ title: String) {
        print("\n== \(title)\n")
    }
}
