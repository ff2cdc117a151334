import TallyCore

/// Turns a ``MarginReport`` into table/CSV cells and reconciliation lines
/// (`tally margin --format table|csv`).
public struct MarginReportRendering: Sendable {
    public let report: MarginReport
    /// Thousands separators (the table); CSV has none.
    public let grouped: Bool

    public init(report: MarginReport, grouped: Bool) {
        self.report = report
        self.grouped = grouped
    }

    private var currency: Currency { report.reportingCurrency }
    private func money(_ value: ExactDecimal) -> String {
        Display.amount(value, currency, grouped: grouped)
    }
    private func count(_ value: Int64) -> String {
        grouped ? Display.group(String(value)) : String(value)
    }

    /// `!` for a negative margin, `rated` when the revenue includes rated, not invoiced amounts.
    public static func flags(negative: Bool, rated: Bool) -> String {
        [negative ? "!" : nil, rated ? "rated" : nil].compactMap { $0 }.joined(separator: " ")
    }

    public func tabular() -> TabularOutput {
        var rows = report.rows.map { row in
            [
                row.key, count(row.tokens.input), count(row.tokens.cachedInput), count(row.tokens.output), money(row.revenue),
                money(row.usedCost), money(row.idleShare), money(row.fullyLoadedCost), money(row.grossMargin),
                Display.percent(row.marginFraction), Self.flags(negative: row.isNegativeMargin, rated: row.includesRated),
            ]
        }
        let t = report.totals
        rows.append([
            "TOTAL", count(t.tokens.input), count(t.tokens.cachedInput), count(t.tokens.output), money(t.revenue),
            money(t.usedCost), money(t.idleShare), money(t.fullyLoadedCost), money(t.grossMargin),
            Display.percent(t.marginFraction), Self.flags(negative: t.grossMargin.isNegative, rated: !t.ratedRevenue.isZero),
        ])
        var output = TabularOutput(
            header: [report.dimension.rawValue, "input tokens", "cached tokens", "output tokens", "revenue", "used cost",
                     "idle share", "fully loaded", "gross margin", "margin %", "flags"],
            rows: rows)
        output.textColumns = [0, 10]
        return output
    }

    /// The reconciliation, spelled out (MarginReport already refused a mismatch).
    public func reconciliation() -> [String] {
        let t = report.totals
        var lines: [String] = []
        var parts: [String] = []
        for group in report.revenueByCurrency {
            let drafts = group.drafts > 0 ? " (\(group.drafts) draft(s))" : ""
            let what = group.invoiced
                ? "\(group.documents) invoice(s)\(drafts) of \(group.customers) customer(s)"
                : "\(group.customers) customer(s) rated, not invoiced"
            var part = "\(what): \(Display.amount(group.subtotal, group.currency, grouped: grouped)) \(group.currency)"
            if group.currency != currency {
                part += " × \(group.rate) (\(report.rateDay)) = \(money(group.converted))"
            }
            parts.append(part)
        }
        if parts.isEmpty { parts = ["no invoices and nothing to rate"] }
        lines.append("revenue \(money(t.revenue)) \(currency) = subtotals before credits: \(parts.joined(separator: "; ")): reconciles")
        if !t.ratedRevenue.isZero {
            lines.append("  of which rated, not invoiced: \(money(t.ratedRevenue)) (rows flagged 'rated')")
        }
        let drafts = report.revenueByCurrency.reduce(0) { $0 + $1.drafts }
        if drafts > 0 {
            lines.append("  \(drafts) draft invoice(s) counted as they stand: run `tally invoice run --period \(report.period)` first for an up-to-date month")
        }
        if !report.voided.isEmpty {
            lines.append("  void invoices count zero (reversed by credit notes): \(report.voided.map(\.name).joined(separator: ", "))")
        }
        lines.append("purchase cost \(money(t.purchaseCost)) = used \(money(t.usedCost)) + idle \(money(t.idleCost)): reconciles")
        lines.append(
            "purchase cost \(money(t.purchaseCost)) = fully loaded \(money(t.fullyLoadedCost)) + stranded \(money(t.strandedCost)) (in no row): reconciles")
        lines.append("Σ rows = TOTAL (tokens, revenue, used cost, fully loaded cost): reconciles")
        lines.append("gross margin after stranded cost (revenue − purchase cost): \(money(t.marginAfterStranded))")
        if let top = report.top {
            lines.append("rows: the \(top) of largest revenue (ties by key); the others folded into one row")
        }
        let negative = report.rows.filter(\.isNegativeMargin).count
        if negative > 0 { lines.append("\(negative) row(s) with a negative margin, flagged '!'") }
        return lines
    }
}
