import TallyCore

/// Turns a ``CostReport`` into table/CSV cells and reconciliation lines
/// (`tally cost --format table|csv`).
public struct CostReportRendering: Sendable {
    public let report: CostReport
    /// Thousands separators (the table); CSV has none.
    public let grouped: Bool

    public init(report: CostReport, grouped: Bool) {
        self.report = report
        self.grouped = grouped
    }

    private var currency: Currency { report.reportingCurrency }
    private func money(_ value: ExactDecimal?) -> String {
        value.map { Display.amount($0, currency, grouped: grouped) } ?? "-"
    }
    private func hours(_ value: ExactDecimal?) -> String {
        value.map { Display.number($0, places: 2, grouped: grouped) } ?? "-"
    }
    private func rate(_ value: ExactDecimal?) -> String {
        value.map { Display.number($0, places: 6, grouped: grouped) } ?? "-"
    }
    private func count(_ value: Int64) -> String {
        grouped ? Display.group(String(value)) : String(value)
    }

    public func tabular() -> TabularOutput {
        let t = report.totals
        if report.dimension == .model {
            var rows = report.rows.map { row in
                [
                    row.key, hours(row.usedGPUHours), money(row.usedCost), money(try? row.fullyLoadedCost - row.usedCost),
                    money(row.fullyLoadedCost), count(row.tokens.input), count(row.tokens.cachedInput), count(row.tokens.output),
                    rate(row.costPerMillion?.input), rate(row.costPerMillion?.cachedInput), rate(row.costPerMillion?.output),
                ]
            }
            let idleShared = try? t.fullyLoadedCost - t.usedCost
            rows.append(["(stranded: pools nobody used)", "-", "-", "-", money(t.strandedCost), "-", "-", "-", "-", "-", "-"])
            let tokens = report.rows.reduce(TokenCounts.zero) { $0 + $1.tokens }
            rows.append([
                "TOTAL", hours(t.usedGPUHours), money(t.usedCost), money(idleShared),
                money(try? t.fullyLoadedCost + t.strandedCost), count(tokens.input), count(tokens.cachedInput),
                count(tokens.output), "-", "-", "-",
            ])
            return TabularOutput(
                header: ["model", "used GPU-h", "used cost", "idle share", "fully loaded", "input tokens", "cached tokens",
                         "output tokens", "per 1M input", "per 1M cached", "per 1M output"],
                rows: rows)
        }
        var rows = report.rows.map { row in
            [
                row.key, hours(row.capacityGPUHours), hours(row.usedGPUHours), Display.percent(row.idleFraction),
                Display.percent(row.spotFraction), money(row.purchaseCost), rate(row.blendedCostPerGPUHour),
                money(row.usedCost), money(row.idleCost), money(row.fullyLoadedCost), money(row.strandedCost),
            ]
        }
        rows.append([
            "TOTAL", hours(t.capacityGPUHours), hours(t.usedGPUHours), Display.percent(t.idleFraction),
            Display.percent(t.spotFraction), money(t.purchaseCost), rate(t.blendedCostPerGPUHour), money(t.usedCost), money(t.idleCost),
            money(t.fullyLoadedCost), money(t.strandedCost),
        ])
        return TabularOutput(
            header: [report.dimension.rawValue, "capacity GPU-h", "used GPU-h", "idle", "spot", "purchase cost",
                     "per GPU-h", "used cost", "idle cost", "fully loaded", "stranded"],
            rows: rows)
    }

    /// The conservation checks, spelled out (CostReport already refused a mismatch).
    public func reconciliation() -> [String] {
        let t = report.totals
        let mark = { (ok: Bool) in ok ? "reconciles" : "DOES NOT RECONCILE" }
        return [
            "capacity \(hours(t.capacityGPUHours)) GPU-h: used \(hours(t.usedGPUHours)), idle \(hours(t.idleGPUHours))",
            "purchase cost \(money(t.purchaseCost)) = used \(money(t.usedCost)) + idle \(money(t.idleCost)): \(mark(t.usedPlusIdleReconciles))",
            "purchase cost \(money(t.purchaseCost)) = fully loaded \(money(t.fullyLoadedCost)) + stranded \(money(t.strandedCost)): \(mark(t.fullyLoadedPlusStrandedReconciles))",
        ]
    }
}
