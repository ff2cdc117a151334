import TallyCore

/// The JSON shape of a margin report: decimals as strings. Every amount has
/// at least its currency's minor digits (`"1020.00"`, like an invoice's
/// JSON) and every further decimal it has: revenue is invoiced amounts (exact
/// at those digits unless converted), costs and margins keep full precision
/// (SPEC §2). Rates and percents stay as they are (docs/margin.md).
struct MarginReportJSON: Encodable {
    struct Row: Encodable {
        let key: String
        let kind: String
        let inputTokens, cachedInputTokens, outputTokens: Int64
        let revenue, ratedRevenue, usedCost, idleShare, fullyLoadedCost, grossMargin: String
        let marginPercent: ExactDecimal?
        let negativeMargin: Bool
    }
    struct Totals: Encodable {
        let inputTokens, cachedInputTokens, outputTokens: Int64
        let revenue, invoicedRevenue, ratedRevenue, usedCost, idleShare, fullyLoadedCost, grossMargin: String
        let marginPercent: ExactDecimal?
        let strandedCost, purchaseCost, idleCost, marginAfterStranded: String
    }
    struct CurrencyRevenue: Encodable {
        let currency: Currency
        let source: String
        let documents, drafts, customers: Int
        let subtotal, lines: String
        let rate: ExactDecimal
        let converted: String
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
        let reporting = report.reportingCurrency
        func amount(_ value: ExactDecimal, _ currency: Currency? = nil) -> String {
            Money(value, currency ?? reporting).exactText
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
                outputTokens: r.tokens.output, revenue: amount(r.revenue), ratedRevenue: amount(r.ratedRevenue), usedCost: amount(r.usedCost),
                idleShare: amount(r.idleShare), fullyLoadedCost: amount(r.fullyLoadedCost), grossMargin: amount(r.grossMargin),
                marginPercent: try percent(r.marginFraction), negativeMargin: r.isNegativeMargin)
        }
        let t = report.totals
        totals = Totals(
            inputTokens: t.tokens.input, cachedInputTokens: t.tokens.cachedInput, outputTokens: t.tokens.output, revenue: amount(t.revenue),
            invoicedRevenue: amount(t.invoicedRevenue), ratedRevenue: amount(t.ratedRevenue), usedCost: amount(t.usedCost),
            idleShare: amount(t.idleShare), fullyLoadedCost: amount(t.fullyLoadedCost), grossMargin: amount(t.grossMargin),
            marginPercent: try percent(t.marginFraction), strandedCost: amount(t.strandedCost), purchaseCost: amount(t.purchaseCost),
            idleCost: amount(t.idleCost), marginAfterStranded: amount(t.marginAfterStranded))
        revenueByCurrency = report.revenueByCurrency.map { g in
            CurrencyRevenue(
                currency: g.currency, source: g.invoiced ? "invoiced" : "rated", documents: g.documents, drafts: g.drafts, customers: g.customers,
                subtotal: amount(g.subtotal, g.currency), lines: amount(g.lines, g.currency), rate: g.rate, converted: amount(g.converted))
        }
        voidedInvoices = report.voided.map(\.name)
        // MarginReport refuses to exist unless all of these hold.
        reconciliation = Reconciliation(
            revenueEqualsSubtotals: true, usedPlusIdleEqualsPurchase: true, fullyLoadedPlusStrandedEqualsPurchase: true,
            rowsSumToTotals: true)
    }
}
