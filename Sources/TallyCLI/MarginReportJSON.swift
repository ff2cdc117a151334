import TallyCore

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
        let documents, drafts, customers: Int
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
                currency: g.currency, source: g.invoiced ? "invoiced" : "rated", documents: g.documents, drafts: g.drafts, customers: g.customers,
                subtotal: g.subtotal, lines: g.lines, rate: g.rate, converted: g.converted)
        }
        voidedInvoices = report.voided.map(\.name)
        // MarginReport refuses to exist unless all of these hold.
        reconciliation = Reconciliation(
            revenueEqualsSubtotals: true, usedPlusIdleEqualsPurchase: true, fullyLoadedPlusStrandedEqualsPurchase: true,
            rowsSumToTotals: true)
    }
}
