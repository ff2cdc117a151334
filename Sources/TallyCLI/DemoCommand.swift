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

    func run() throws {
        let target = DatabaseTarget()
        let db = try target.migratedConnection()
        guard let first = try? CivilDate(parsing: month + "-01") else {
            throw ValidationError("--month must be YYYY-MM, got '\(month)'")
        }
        let outDirectory = out.map { URL(fileURLWithPath: $0) } ?? target.paths.root.appendingPathComponent("out/demo")

        section("Database")
        print("PostgreSQL \(db.serverVersion / 10000).\(db.serverVersion % 100) at \(db.configuration.redactedTarget)")
        let migrations = try target.migrator().status(db)
        print("migrations: \(migrations.map { "\($0.name) (\($0.state.rawValue))" }.joined(separator: ", "))")

        section("Supply: a month of GPU capacity")
        var generator = SupplyGenerator(month: first)
        generator.siteCount = sites
        let files = try generator.write(to: outDirectory.appendingPathComponent("supply"))
        print("wrote \(files.files.count) CSV files to \(outDirectory.appendingPathComponent("supply").path) (\(files.allocationRows) allocation rows)")
        let clock = ContinuousClock()
        let started = clock.now
        for summary in try SupplyImporter().importFiles(files.files, into: db) {
            let name = URL(fileURLWithPath: summary.file).lastPathComponent
            print("  \(name): \(summary.rows) rows, \(summary.inserted) new, \(summary.updated) changed, \(summary.unchanged) unchanged")
        }
        print("imported in \(milliseconds(clock.now - started)) ms")

        let next = CivilDate(daysSinceEpoch: first.daysSinceEpoch + CivilDate.daysIn(year: first.year, month: first.month))
        let period = try CostPeriod(fromDay: first, toDay: next)
        let store = SupplyStore(db)
        let costStart = clock.now
        let ledger = try store.ledger(for: period)
        let weights = try store.computeWeights()
        let byModel = try CostReport(ledger: ledger, by: .model, weights: weights)
        print("costed the month in \(milliseconds(clock.now - costStart)) ms")

        section("Blended cost by model (tally cost --from \(first) --to \(next) --by model)")
        print(CostReportRendering(report: byModel, grouped: true).tabular().table())

        section("Capacity and cost by country (tally cost ... --by country)")
        let byCountry = try CostReport(ledger: ledger, by: .country, weights: weights)
        print(CostReportRendering(report: byCountry, grouped: true).tabular().table())
        print("")
        for line in CostReportRendering(report: byCountry, grouped: true).reconciliation() { print(line) }

        section("Exact money")
        let tenth = try ExactDecimal(parsing: "0.1")
        print("0.1 added ten times = \(try Array(repeating: tenth, count: 10).sum()) (a binary float gives 0.9999999999999999)")
        let line = Money(try ExactDecimal(1_234_567_891) * ExactDecimal(parsing: "0.125") .divided(by: ExactDecimal(1_000_000), rounding: .halfAwayFromZero), .usd)
        print("1,234,567,891 tokens at 0.125 USD per 1M = \(line), an invoice line of \(line.rounded(.halfAwayFromZero))")

        print("\nOutputs: \(outDirectory.path). Try: tally cost --from \(first) --to \(next) --by site --format csv")
    }

    private func section(_ title: String) {
        print("\n== \(title)\n")
    }

    private func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
