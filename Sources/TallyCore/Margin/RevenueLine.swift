/// Revenue of one customer, model and token class in one currency: the sum
/// of the invoice lines of a period's invoice (late usage included: revenue
/// belongs to the month it is invoiced in), or of the rated lines of a
/// customer that has no invoice for the period yet (`invoiced == false`).
/// Late usage keeps its own month, so the views by site, pool, GPU, country
/// and day can show it apart instead of spreading it over this month's
/// serving.
public struct RevenueLine: Hashable, Sendable {
    public let customer: String
    public let model: String
    public let tokenClass: TokenClass
    public let amount: Money
    /// false: rated from usage, not invoiced yet (labelled as such).
    public let invoiced: Bool
    /// The month the tokens were used in, when it is an earlier month (late usage).
    public let lateMonth: BillingMonth?

    public init(customer: String, model: String, tokenClass: TokenClass, amount: Money, invoiced: Bool, lateMonth: BillingMonth? = nil) {
        self.customer = customer
        self.model = model
        self.tokenClass = tokenClass
        self.amount = amount
        self.invoiced = invoiced
        self.lateMonth = lateMonth
    }
}
