import TallyCore

/// The JSON shape of a margin report (`tally margin --format json`): decimals as strings. Every amount has
/// at least its currency's minor digits (`"1020.00"`, like an invoice's
/// JSON) and every further decimal it has: revenue is invoiced amounts (exact
/// at those digits unless converted), costs and margins keep full precision
/// (SPEC §2). Rates and percents stay as they are (docs/margin.md).
public struct MarginReportJSON: Encodable, Sendable {
    public struct Row: Encodable, Sendable {
        public let key: String
        public let kind: String
        public let inputTokens, cachedInputTokens, outputTokens: Int64
        public let revenue, ratedRevenue, usedCost, idleShare, fullyLoadedCost, grossMargin: String
        public let marginPercent: ExactDecimal?
        public let negativeMargin: Bool
    }
    public struct Totals: Encodable, Sendable {
        public let inputTokens, cachedInputTokens, outputTokens: Int64
        public let revenue, invoicedRevenue, ratedRevenue, usedCost, idleShare, fullyLoadedCost, grossMargin: String
        public let marginPercent: ExactDecimal?
        public let strandedCost, purchaseCost, idleCost, marginAfterStranded: String
    }
    public struct CurrencyRevenue: Encodable, Sendable {
        public let currency: Currency
        public let source: String
        public let documents, drafts, customers: Int
        public let subtotal, lines: String
        public let rate: ExactDecimal
        public let converted: String
    }
    public struct Reconciliation: Encodable, Sendable {
        public let revenueEqualsSubtotals, usedPlusIdleEqualsPurchase, fullyLoadedPlusStrandedEqualsPurchase, rowsSumToTotals: Bool
    }
    public let period: String
    public let by: String
    public let currency: Currency
    public let rateDay: CivilDate
    public let top: Int?
    public let rows: [Row]
    public let totals: Totals
    public let revenueByCurrency: [CurrencyRevenue]
    public let voidedInvoices: [String]
    public let reconciliation: Reconciliation

    public init(_ report: MarginReport) throws {
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

    /// The document `tally margin --format json` prints.
    public func json() throws -> String {
        try TabularOutput.encodeEscapingSlashes(self)
    }
}
