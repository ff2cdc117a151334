import TallyCore

/// Turns a ``MarginReport`` into table/CSV cells and reconciliation lines.
struct MarginReportRendering {
    let report: MarginReport
    let grouped: Bool

    private var currency: Currency { report.reportingCurrency }
    private func money(_ value: ExactDecimal) -> String {
        Display.amount(value, currency, grouped: grouped)
    }
    private func count(_ value: Int64) -> String {
        grouped ? Display.group(String(value)) : String(value)
    }

    /// `!` for a negative margin, `rated` when the revenue includes rated, not invoiced amounts.
    static func flags(negative: Bool, rated: Bool) -> String {
        [negative ? "!" : nil, rated ? "rated" : nil].compactMap { $0 }.joined(separator: " ")
    }

    func tabular() -> TabularOutput {
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
    func reconciliation() -> [String] {
        let t = report.totals
        var lines: [String] = []
        var parts: [String] = []
        for group in report.revenueByCurrency {
            let what = group.invoiced
                ? "\(group.documents) invoice(s) of \(group.customers) customer(s)"
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

/// The JSON shape of a margin report: full-precision decimals as strings.
struct MarginReportJSON: Encodable {
    struct Row: Encodable {
        let key: String
        let kind: String
        let inputTokens, cachedInputTokens, outputTokens: Int64
        let revenue, ratedRevenue, usedCost, idleShare, fullyLoadedCost, grossMargin: ExactDecimal
        let marginPercent: ExactDecimal?
        let negativeMargin: Bool
    }
    struct Totals: Encodable {
        let inputTokens, cachedInputTokens, outputTokens: Int64
        let revenue, invoicedRevenue, ratedRevenue, usedCost, idleShare, fullyLoadedCost, grossMargin: ExactDecimal
        let marginPercent: ExactDecimal?
        let strandedCost, purchaseCost, idleCost, marginAfterStranded: ExactDecimal
    }
    struct CurrencyRevenue: Encodable {
        let currency: Currency
        let source: String
        let documents, customers: Int
        let subtotal, lines, rate, converted: ExactDecimal
    }
    struct Reconciliation: Encodable {
        let revenueEqualsSubtotals, usedPlusIdleEqualsPurchase, fullyLoadedPlusStrandedEqualsPurchase, rowsSumToTotals: Bool
    }
    let period: String
    let by: String
    let currency: Currency
    let rateDay: CivilDate
    let top: Int?
    let rows: [Row]
    let totals: Totals
    let revenueByCurrency: [CurrencyRevenue]
    let voidedInvoices: [String]
    let reconciliation: Reconciliation

    init(_ report: MarginReport) throws {
        func percent(_ fraction: ExactDecimal?) throws -> ExactDecimal? {
            try fraction.map { try $0 * ExactDecimal(100) }
        }
        period = report.period.description
        by = report.dimension.rawValue
        currency = report.reportingCurrency
        rateDay = report.rateDay
        top = report.top
        rows = try report.rows.map { r in
            let kind = switch r.kind {
            case .key: "key"
            case .unbilledService: "unbilled_service"
            case .noAllocation: "no_allocation"
            case .lateUsage: "late_usage"
            case .other: "other"
            }
            return Row(
                key: r.key, kind: kind, inputTokens: r.tokens.input, cachedInputTokens: r.tokens.cachedInput,
                outputTokens: r.tokens.output, revenue: r.revenue, ratedRevenue: r.ratedRevenue, usedCost: r.usedCost,
                idleShare: r.idleShare, fullyLoadedCost: r.fullyLoadedCost, grossMargin: r.grossMargin,
                marginPercent: try percent(r.marginFraction), negativeMargin: r.isNegativeMargin)
        }
        let t = report.totals
        totals = Totals(
            inputTokens: t.tokens.input, cachedInputTokens: t.tokens.cachedInput, outputTokens: t.tokens.output, revenue: t.revenue,
            invoicedRevenue: t.invoicedRevenue, ratedRevenue: t.ratedRevenue, usedCost: t.usedCost, idleShare: t.idleShare,
            fullyLoadedCost: t.fullyLoadedCost, grossMargin: t.grossMargin, marginPercent: try percent(t.marginFraction),
            strandedCost: t.strandedCost, purchaseCost: t.purchaseCost, idleCost: t.idleCost, marginAfterStranded: t.marginAfterStranded)
        revenueByCurrency = report.revenueByCurrency.map { g in
            CurrencyRevenue(
                currency: g.currency, source: g.invoiced ? "invoiced" : "rated", documents: g.documents, customers: g.customers,
                subtotal: g.subtotal, lines: g.lines, rate: g.rate, converted: g.converted)
        }
        voidedInvoices = report.voided.map(\.name)
        // MarginReport refuses to exist unless all of these hold.
        reconciliation = Reconciliation(
            revenueEqualsSubtotals: true, usedPlusIdleEqualsPurchase: true, fullyLoadedPlusStrandedEqualsPurchase: true,
            rowsSumToTotals: true)
    }
}
