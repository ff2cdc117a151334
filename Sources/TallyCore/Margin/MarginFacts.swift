/// Everything a margin report of one month is computed from, read once and
/// grouped by any dimension (so every dimension reconciles to the same totals).
public struct MarginFacts: Sendable {
    public let period: BillingMonth
    /// The cost engine's ledger of the month (reporting currency).
    public let ledger: CostLedger
    /// Invoices of the period that are not void, and rated months of customers without an invoice.
    public let documents: [RevenueDocument]
    public let revenue: [RevenueLine]
    public let served: [ServedTokens]
    /// Compute weights per model (``ComputeWeights/standard`` when absent).
    public let weights: [String: ComputeWeights]
    /// Converts revenue into the reporting currency at the period's last day.
    public let fx: FXTable
    /// Void invoices of the period: their revenue was reversed by a credit
    /// note, so they count zero; listed so the report can say so.
    public let voided: [RevenueDocument]

    public init(period: BillingMonth, ledger: CostLedger, documents: [RevenueDocument], revenue: [RevenueLine],
                served: [ServedTokens], weights: [String: ComputeWeights], fx: FXTable, voided: [RevenueDocument] = []) {
        self.period = period
        self.ledger = ledger
        self.documents = documents
        self.revenue = revenue
        self.served = served
        self.weights = weights
        self.fx = fx
        self.voided = voided
    }
}
