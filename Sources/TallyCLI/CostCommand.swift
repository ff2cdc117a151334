import ArgumentParser
import Foundation
import TallyCore
import TallyDatabase
import TallyPresentation

struct CostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cost",
        abstract: "What capacity cost over a period, and where it went.",
        discussion: """
            Blends reserved and spot purchases per pool (site × GPU type) hour by hour, \
            converts at the day's FX rate, and charges each model the GPU-hours it used. \
            Idle capacity is shown, never hidden: used + idle = purchase cost, and fully \
            loaded (used plus each pool's idle shared by use) + stranded (pools nobody \
            used) = purchase cost. Both are checked; a mismatch is an error.

            --by model adds the cost per 1M input, cached-input and output tokens, \
            splitting each model's fully loaded cost by compute weight (default 1 / 0.1 / 4; \
            per model in compute_weights). Token volumes come from the allocation data, \
            or from --tokens.

            Amounts print rounded to the reporting currency's minor unit; cost per token \
            and per GPU-hour with 6 decimals. JSON carries full precision as strings.

            EXAMPLES
              tally cost --from 2026-11-01 --to 2026-12-01 --by model
              tally cost --from 2026-11-01 --to 2026-11-02 --by pool --format csv
            """
    )

    @Option(help: "Start of the period (inclusive): YYYY-MM-DD or a UTC timestamp on the hour.")
    var from: InstantArgument

    @Option(help: "End of the period (exclusive).")
    var to: InstantArgument

    @Option(help: "Group rows by: \(CostReport.Dimension.allCases.map(\.rawValue).joined(separator: ", ")).")
    var by: CostReport.Dimension = .model

    @Option(help: "table, csv or json.")
    var format: OutputFormat = .table

    @Option(name: .customLong("tokens"), help: "Token volumes for a model: MODEL:input=N,cached=N,output=N (repeatable).")
    var tokens: [ModelTokensArgument] = []

    func run() throws {
        var timer = PhaseTimer()
        defer { timer.report() }
        let period = try CostPeriod(from: from.timestamp, to: to.timestamp)
        let store = SupplyStore(try DatabaseTarget().migratedConnection())
        timer.lap("connect")
        let ledger = try store.ledger(for: period, timer: &timer)
        let weights = try store.computeWeights()
        let report = try CostReport(
            ledger: ledger, by: by, tokens: Dictionary(tokens.map { ($0.model, $0.tokens) }, uniquingKeysWith: { $1 }),
            weights: weights)
        timer.lap("group")
        defer { timer.lap("render") }
        switch format {
        case .table:
            print("Cost \(period.from.date) – \(period.to.date) (\(period)), by \(by.rawValue), in \(report.reportingCurrency)\n")
            print(CostReportRendering(report: report, grouped: true).tabular().table())
            print("")
            for line in CostReportRendering(report: report, grouped: true).reconciliation() { print(line) }
        case .csv:
            print(try CostReportRendering(report: report, grouped: false).tabular().csv(), terminator: "")
        case .json:
            print(try CostReportJSON(report).json())
        }
    }
}

extension CostReport.Dimension: ExpressibleByArgument {}
