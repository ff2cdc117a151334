import ArgumentParser
import Foundation
import TallyCore
import TallyDatabase
import TallyDemo
import TallyPostgres
import TallyPresentation

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "The main job, end to end, on the local database: a month from GPUs to invoices and margins.",
        discussion: """
            Starts the local database if needed and applies migrations, then builds a \
            realistic month and runs every job on it:

              1. supply: 40 sites in 15 countries with their currencies and daily FX, \
                 reserved contracts and spot buys (some preempted), hourly allocations \
                 of 30 open models (CSV files, imported as `tally supply import` does);
              2. blended cost per token by model, and cost by country with idle and \
                 stranded capacity shown;
              3. rate cards and tax rates from rates/, 200 no-commitment customers \
                 (API-key tags, a few custom cards, EU businesses on reverse charge), \
                 credits for a few of them;
              4. usage events for exactly the tokens the supply served, ingested;
              5. invoices run and finalized, exported as HTML, CSV and EN 16931 CII;
              6. margin reports by model and by customer, reconciled with the invoices;
              7. a sample quote with the margin in view.

            Everything it writes goes under out/demo/ (or --out), and it prints where. \
            Running it again changes nothing: the same files are generated, re-imported \
            and found unchanged, and finalized invoices stay as they are. Use \
            `make clean-db` for a fresh database. --customers and --events scale it up \
            for benchmarks; --sites, --customers and --events scale it down for CI.
            """
    )

    @Option(help: "The demo month, YYYY-MM (default: the last whole month before today, UTC).")
    var month: String?

    @Option(help: "Number of sites (1-40); fewer makes a faster, smaller demo.")
    var sites = 40

    @Option(help: "Number of customers.")
    var customers = 200

    @Option(help: "Usage events to generate (a target: every served model-site-hour gets at least one).")
    var events = 2_000_000

    @Option(help: "Where to write the demo's files (default: <project>/out/demo).")
    var out: String?

    func validate() throws {
        guard (1...40).contains(sites) else { throw ValidationError("--sites must be 1 to 40, got \(sites)") }
        guard customers >= 1 else { throw ValidationError("--customers must be at least 1, got \(customers)") }
        guard events >= 1 else { throw ValidationError("--events must be at least 1, got \(events)") }
    }

    func run() throws {
        let target = DatabaseTarget()
        let db = try target.migratedConnection()
        let billing: BillingMonth
        if let month {
            guard let parsed = try? BillingMonth(parsing: month) else {
                throw ValidationError("--month must be YYYY-MM, got '\(month)'")
            }
            billing = parsed
        } else {
            billing = TallyClock.current.previousMonth
        }
        let month = billing.description
        let outDirectory = out.map { URL(fileURLWithPath: $0) } ?? target.paths.root.appendingPathComponent("out/demo")
        let clock = ContinuousClock()
        let demoStart = clock.now

        section("Database")
        print("PostgreSQL \(db.serverVersion / 10000).\(db.serverVersion % 100) at \(db.configuration.redactedTarget)")
        let migrations = try target.migrator().status(db)
        print("migrations: \(migrations.map { "\($0.name) (\($0.state.rawValue))" }.joined(separator: ", "))")

        section("Supply: a month of GPU capacity (tally supply import)")
        var generator = SupplyGenerator(month: billing)
        generator.siteCount = sites
        let supply = try generator.write(to: outDirectory.appendingPathComponent("supply"))
        print("wrote \(supply.files.count) CSV files to \(outDirectory.appendingPathComponent("supply").path) (\(supply.allocationRows) allocation rows)")
        let started = clock.now
        for summary in try SupplyImporter().importFiles(supply.files, into: db) {
            let name = URL(fileURLWithPath: summary.file).lastPathComponent
            print("  \(name): \(summary.rows) rows, \(summary.inserted) new, \(summary.updated) changed, \(summary.unchanged) unchanged")
        }
        print("imported in \((clock.now - started).milliseconds) ms")

        let (first, next) = (billing.firstDay, billing.next.firstDay)
        let store = SupplyStore(db)
        let costStart = clock.now
        let ledger = try store.ledger(for: CostPeriod(month: billing))
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

        section("Rate cards and tax rates (tally rates load)")
        let rates = target.paths.ratesDirectory().path
        print("from \(rates):")
        for line in try RatesCommand.Load.load(try RatesCommand.PathOption.parse(rates), into: db, audit: .commandLine) { print("  " + line) }

        section("Customers (tally customers import) and credits (tally credits grant)")
        let customersFile = outDirectory.appendingPathComponent("customers.csv")
        let issuerCountry = try InvoiceCommand.issuer().country
        try Self.customersCSV(count: customers, issuerCountry: issuerCountry).write(to: customersFile, atomically: true, encoding: .utf8)
        let imported = try CustomerStore(db, issuerCountry: issuerCountry).importFile(customersFile.path, audit: .commandLine)
        print("\(customersFile.path): \(imported.inserted) new, \(imported.updated) changed, \(imported.unchanged) unchanged")
        let everyone = try CustomerStore(db).all()
        let reverseCharge = everyone.filter { $0.taxTreatment == .reverseCharge }.count
        let custom = everyone.filter { $0.card != "public" }.count
        print("\(everyone.count) customers: \(reverseCharge) EU businesses on reverse charge, \(custom) on a custom card")
        let grants = try grantDemoCredits(db, customers: everyone, month: billing)
        print("credits: \(grants.granted) grant(s) recorded, \(grants.existing) already there")

        section("Usage: the tokens the supply served, billed to customers (tally usage ingest)")
        let eventsFile = outDirectory.appendingPathComponent("usage-\(month).ndjson")
        let demand = DemandGenerator(month: billing, served: supply.served, customers: everyone.map(\.id), events: events)
        let written = try demand.write(ndjson: eventsFile)
        let ingestStart = clock.now
        // Ingested as of the month's end at the latest, so that an old --month
        // is inside the accepted window; a month not over yet keeps the clock.
        let ingested = try UsageIngester(db).ingest(
            path: eventsFile.path, format: .ndjson, rejectsPath: eventsFile.path + ".rejects.ndjson",
            now: min(TallyClock.current.now, billing.end))
        print("\(eventsFile.path): \(ingested.lines) events, \(ingested.accepted) accepted, \(ingested.duplicates) duplicates (re-sent), \(ingested.rejected) rejected, in \((clock.now - ingestStart).milliseconds) ms")
        print("\(Display.group(String(written.tokens.total))) tokens in the month, as served by the supply above")

        section("Invoices (tally invoice run / finalize / export --period \(month))")
        let invoiceFolder = outDirectory.appendingPathComponent("invoices").path
        let samples = try runInvoices(db, month: billing, folder: invoiceFolder)
        for line in samples { print(line) }

        let facts = try MarginStore(db).facts(for: billing)
        for (dimension, top) in [(MarginReport.Dimension.model, nil), (.customer, 10)] as [(MarginReport.Dimension, Int?)] {
            section("Margin by \(dimension.rawValue) (tally margin --period \(month) --by \(dimension.rawValue)\(top.map { " --top \($0)" } ?? ""))")
            let report = try MarginReport(facts, by: dimension, top: top)
            let rendering = MarginReportRendering(report: report, grouped: true)
            print(rendering.tabular().table())
            print("")
            for line in rendering.reconciliation() { print(line) }
            let chart = outDirectory.appendingPathComponent("margin-by-\(dimension.rawValue).svg")
            try Data(try MarginChart(report).svg().utf8).write(to: chart, options: .atomic)
            print("chart: \(chart.path)")
        }

        section("Market reference prices (tally market import)")
        let marketFile = target.paths.root.appendingPathComponent("data/litellm-model-prices-1.110.2.json").path
        let (market, _) = try MarketPriceStore.parse(path: marketFile)
        try MarketPriceStore(db).replace(with: market, source: "litellm-model-prices-1.110.2.json")
        print("\(market.count) priced chat models from \(Set(market.map(\.provider)).count) providers")

        let asOf = billing.next.firstDay
        section("A sample quote (tally quote --prospect \"\(Self.prospect)\" --volume … --discount 10% --as-of \(asOf))")
        try sampleQuote(db, asOf: asOf)

        print("\nDemo finished in \((clock.now - demoStart).milliseconds / 1000) s. Outputs in \(outDirectory.path):")
        print("  supply/     the month's supply data (CSV)")
        print("  usage-\(month).ndjson  the usage events")
        print("  invoices/   every invoice as HTML, EN 16931 CII (XML), and one CSV for accounting")
        print("  margin-by-model.svg, margin-by-customer.svg  gross margin charts")
        print("Try: tally invoice show INV-\(billing.firstDay.year)-000001 --format text")
    }

    static let prospect = "Globex Research (demo)"

    /// A prospect asking for two large models at 10% off the public card,
    /// costed on the demo month. Stored once: a rerun shows the stored quote.
    private func sampleQuote(_ db: PostgresConnection, asOf: CivilDate) throws {
        let store = QuoteStore(db)
        if let stored = try store.list().first(where: { $0.quote.prospect == Self.prospect }) {
            print(QuoteText(quote: stored.quote, status: stored.status).table())
            return
        }
        let volumes = try ["llama-3.3-70b-instruct:input=60e9,cached=15e9,output=12e9", "deepseek-v3:input=20e9,cached=5e9,output=4e9",
                           "qwen-3-32b:input=40e9,output=9e9"].map { try QuoteVolume(parsing: $0) }
        let options = QuoteMaker.Options(
            prospect: Self.prospect, volumes: volumes, discountPercent: 10, asOf: asOf)
        let quote = try store.save(try QuoteMaker(db).make(options))
        print(QuoteText(quote: quote, status: .open).table())
    }

    /// Startup credits for every 20th customer, one of them expiring at the
    /// end of the month; recorded once (a rerun finds them and adds nothing).
    private func grantDemoCredits(_ db: PostgresConnection, customers: [Customer], month: BillingMonth) throws -> (granted: Int, existing: Int) {
        let reason = "startup programme (demo)"
        let store = CreditStore(db)
        var granted = 0
        var existing = 0
        for (i, customer) in customers.enumerated() where i % 20 == 3 {
            if try store.ledger(customer: customer.id, asOf: month.lastDay).contains(where: { $0.kind == .grant && $0.note.hasPrefix(reason) }) {
                existing += 1
                continue
            }
            let expires = i % 40 == 3 ? month.lastDay : try CivilDate(year: month.firstDay.year + 1, month: 3, day: 31)
            let amount = Money(ExactDecimal(i % 3 == 0 ? 5_000 : 500), customer.currency)
            try store.grant(
                customer: customer.id, amount: amount, expiresOn: expires, reason: reason, grantedOn: month.firstDay, audit: .commandLine)
            granted += 1
        }
        return (granted, existing)
    }

    /// Runs and finalizes the month's invoices and exports them; returns
    /// lines for the demo's output.
    private func runInvoices(_ db: PostgresConnection, month: BillingMonth, folder: String) throws -> [String] {
        let issuer = try InvoiceCommand.issuer()
        var lines: [String] = []
        let clock = ContinuousClock()
        let started = clock.now
        let summary = try InvoiceRun(db, issuer: issuer).run(period: month)
        let described = InvoiceCommand.Run.describe(summary)
        lines.append("run in \((clock.now - started).milliseconds) ms: " + described[0])
        lines += described.dropFirst()
        let numbers = try InvoiceStore(db).finalize(period: month, issuer: issuer, issueDate: month.next.firstDay, audit: .commandLine)
        if let firstNumber = numbers.first, let lastNumber = numbers.last {
            lines.append("finalized \(numbers.count): \(firstNumber) … \(lastNumber), issued \(month.next.firstDay)")
        } else {
            lines.append("finalize: nothing left to finalize (the month was finalized by an earlier run)")
        }
        let store = InvoiceStore(db)
        let invoices = try store.invoices(period: month)
        var files: [String] = []
        for format in [InvoiceCommand.Format.html, .cii, .csv] {
            files += try InvoiceDocuments.export(invoices, store: store, period: month, format: format, to: folder)
        }
        for invoice in invoices { try invoice.verify() }
        lines.append("exported \(files.count) files to \(folder); every total recomputed from its lines: ok")
        let standard = invoices.first { $0.customer.taxTreatment == .standard && !($0.taxes.first?.percent.isZero ?? true) }
        let reverse = invoices.first { $0.customer.taxTreatment == .reverseCharge }
        let credited = invoices.first { !$0.credits.isEmpty }
        for (label, invoice) in [("with VAT", standard), ("reverse charge", reverse), ("with credits", credited)] {
            guard let invoice else { continue }
            let name = invoice.name.replacingOccurrences(of: "/", with: "-")
            lines.append("  sample \(label): \(folder)/\(name).html and .xml (\(invoice.customer.name), total \(invoice.total))")
        }
        return lines
    }

    /// The demo customers: most on the public card, a few on one of two
    /// custom (override) cards, EU businesses with VAT ids on reverse charge.
    static func customersCSV(count: Int, issuerCountry: String) -> String {
        var random = SeededRandom(seed: 200)
        let countries = ["US", "US", "US", "GB", "DE", "FR", "NL", "SE", "CA", "JP", "SG", "IN", "AU", "CH", "IE", "ES"]
        let words = ["Acme", "Blue", "Cedar", "Delta", "Echo", "Fjord", "Granite", "Harbor", "Iris", "Juniper", "Kite", "Lumen",
                     "Maple", "Nimbus", "Onyx", "Pixel", "Quartz", "Rover", "Sierra", "Tidal"]
        let kinds = ["AI", "Labs", "Systems", "Analytics", "Robotics", "Health", "Legal", "Search", "Code", "Voice"]
        var text = "id,name,billing_email,country,vat_id,tax_treatment,currency,card\n"
        for i in 1...count {
            let name = "\(words[(i * 7) % words.count]) \(kinds[(i * 3) % kinds.count]) \(i)"
            let id = name.lowercased().replacingOccurrences(of: " ", with: "-")
            let country = countries[Int.random(in: 0..<countries.count, using: &random)]
            let eu = Customer.euCountries.contains(country)
            // Reverse charge is for EU businesses outside the issuer's country (NL).
            let business = eu && country != issuerCountry && Int.random(in: 0..<4, using: &random) > 0
            let vat = business ? "\(country)\(Int.random(in: 100_000_000...999_999_999, using: &random))" : ""
            let card = i % 25 == 0 ? "northwind-labs" : i % 25 == 12 ? "helix-health" : "public"
            text += "\(id),\(name),billing@\(id).example,\(country),\(vat),\(business ? "reverse_charge" : "standard"),USD,\(card)\n"
        }
        return text
    }

    private func section(_ title: String) {
        print("\n== \(title)\n")
    }
}
