import ArgumentParser
import Foundation
import TallyCore
import TallyDatabase
import TallyPresentation

struct MarginCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "margin",
        abstract: "Revenue against cost for a month, by customer, model, GPU type, site, country or day.",
        discussion: """
            Revenue is what the month's invoices bill before credits (void invoices count \
            zero), plus, for customers with usage and no invoice yet, the amount the invoice \
            run would bill (rows flagged 'rated'). Revenue in another currency converts at \
            the rate of the month's last day (latest on or before). Cost is the cost \
            engine's: used cost, idle share, fully loaded cost; stranded cost (pools nobody \
            used) is in the totals, in no row.

            A customer's share of a model's cost is its weighted tokens over the model's \
            (compute weights, default 1 / 0.1 / 4). By gpu, pool, site, country or day, \
            revenue follows the customer's weighted tokens to sites and days, then the \
            model's GPU-hours to the site's pools; what finds no allocation is shown as \
            '(no allocation)'. A model's cost nobody was billed for is '(unbilled service)'.

            The totals reconcile and the report says so: revenue = invoice subtotals (and \
            rated amounts) per currency; used + idle = purchase cost; fully loaded + \
            stranded = purchase cost; the rows add up to the totals. A mismatch is an \
            error (exit 1). Negative margins are flagged '!'. Rules: docs/margin.md.

            EXAMPLES
              tally margin --period 2026-11 --by customer
              tally margin --period 2026-11 --by model --format csv
              tally margin --period 2026-11 --by site --top 10 --chart out/margin-by-site.svg
            """
    )

    @Option(help: "The month, YYYY-MM.")
    var period: String

    @Option(help: "Group rows by: \(MarginReport.Dimension.allCases.map(\.rawValue).joined(separator: ", ")).")
    var by: MarginReport.Dimension = .customer

    @Option(help: "Keep the N rows of largest revenue (ties by key); fold the others into one row.")
    var top: Int?

    @Option(help: "table, csv or json.")
    var format: OutputFormat = .table

    @Option(help: "Also draw gross margin by the chosen dimension as an SVG bar chart in FILE.")
    var chart: String?

    func validate() throws {
        if let top, top < 1 { throw ValidationError("--top must be at least 1") }
        if let chart, !chart.lowercased().hasSuffix(".svg") { throw ValidationError("--chart writes SVG: give a FILE.svg") }
    }

    func run() throws {
        var timer = PhaseTimer()
        defer { timer.report() }
        let month = try BillingMonth(parsing: period)
        let db = try DatabaseTarget().migratedConnection()
        timer.lap("connect")
        let facts = try MarginStore(db).facts(for: month)
        timer.lap("read")
        let report = try MarginReport(facts, by: by, top: top)
        timer.lap("group")
        defer { timer.lap("render") }
        switch format {
        case .table:
            print("Margin \(month), by \(by.rawValue), in \(report.reportingCurrency)\n")
            print(MarginReportRendering(report: report, grouped: true).tabular().table())
            print("")
            for line in MarginReportRendering(report: report, grouped: true).reconciliation() { print(line) }
        case .csv:
            print(try MarginReportRendering(report: report, grouped: false).tabular().csv(), terminator: "")
        case .json:
            print(try MarginReportJSON(report).json())
        }
        if let chart {
            let url = URL(fileURLWithPath: chart)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(try MarginChart(report).svg().utf8).write(to: url, options: .atomic)
            if format == .table { print("chart: \(chart)") }
        }
    }
}

extension MarginReport.Dimension: ExpressibleByArgument {}
