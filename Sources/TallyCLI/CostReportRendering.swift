import TallyCore

/// Turns a ``CostReport`` into table/CSV cells and reconciliation lines.
struct CostReportRendering {
    let report: CostReport
    let grouped: Bool

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

    func tabular() -> TabularOutput {
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
    func reconciliation() -> [String] {
        let t = report.totals
        let mark = { (ok: Bool) in ok ? "reconciles" : "DOES NOT RECONCILE" }
        return [
            "capacity \(hours(t.capacityGPUHours)) GPU-h: used \(hours(t.usedGPUHours)), idle \(hours(t.idleGPUHours))",
            "purchase cost \(money(t.purchaseCost)) = used \(money(t.usedCost)) + idle \(money(t.idleCost)): \(mark(t.usedPlusIdleReconciles))",
            "purchase cost \(money(t.purchaseCost)) = fully loaded \(money(t.fullyLoadedCost)) + stranded \(money(t.strandedCost)): \(mark(t.fullyLoadedPlusStrandedReconciles))",
        ]
    }
}

/// The JSON shape of a cost report: full-precision decimals as strings.
struct CostReportJSON: Encodable {
    struct Row: Encodable {
        let key: String
        let capacityGPUHours, spotGPUHours, usedGPUHours, purchaseCost, usedCost, idleCost, fullyLoadedCost, strandedCost: ExactDecimal?
        let inputTokens, cachedInputTokens, outputTokens: Int64
        let costPerMillionInput, costPerMillionCachedInput, costPerMillionOutput: ExactDecimal?
    }
    struct Totals: Encodable {
        let capacityGPUHours, spotGPUHours, usedGPUHours, purchaseCost, usedCost, idleCost, fullyLoadedCost, strandedCost: ExactDecimal
        let usedPlusIdleReconciles, fullyLoadedPlusStrandedReconciles: Bool
    }
    let from, to: UTCTimestamp
    let by: String
    let currency: Currency
    let rows: [Row]
    let totals: Totals

    init(_ report: CostReport) {
        from = report.period.from
        to = report.period.to
        by = report.dimension.rawValue
        currency = report.reportingCurrency
        rows = report.rows.map { r in
            Row(key: r.key, capacityGPUHours: r.capacityGPUHours, spotGPUHours: r.spotGPUHours, usedGPUHours: r.usedGPUHours,
                purchaseCost: r.purchaseCost, usedCost: r.usedCost, idleCost: r.idleCost, fullyLoadedCost: r.fullyLoadedCost,
                strandedCost: r.strandedCost, inputTokens: r.tokens.input, cachedInputTokens: r.tokens.cachedInput,
                outputTokens: r.tokens.output, costPerMillionInput: r.costPerMillion?.input,
                costPerMillionCachedInput: r.costPerMillion?.cachedInput, costPerMillionOutput: r.costPerMillion?.output)
        }
        let t = report.totals
        totals = Totals(capacityGPUHours: t.capacityGPUHours, spotGPUHours: t.spotGPUHours, usedGPUHours: t.usedGPUHours,
                        purchaseCost: t.purchaseCost, usedCost: t.usedCost, idleCost: t.idleCost,
                        fullyLoadedCost: t.fullyLoadedCost, strandedCost: t.strandedCost,
                        usedPlusIdleReconciles: t.usedPlusIdleReconciles,
                        fullyLoadedPlusStrandedReconciles: t.fullyLoadedPlusStrandedReconciles)
    }
}
