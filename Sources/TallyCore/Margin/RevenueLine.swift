/// Revenue of one customer, model and token class in one currency: the sum
/// of the invoice lines of a period's invoice (late usage included: revenue
/// belongs to the month it is invoiced in), or of the rated lines of a
/// customer that has no invoice for the period yet (`invoiced == false`).
public struct RevenueLine: Hashable, Sendable {
    public let customer: String
    public let model: String
    public let tokenClass: TokenClass
    public let amount: Money
    /// false: rated from usage, not invoiced yet (labelled as such).
    public let invoiced: Bool

    public init(customer: String, model: String, tokenClass: TokenClass, amount: Money, invoiced: Bool) {
        self.customer = customer
        self.model = model
        self.tokenClass = tokenClass
        self.amount = amount
        self.invoiced = invoiced
    }
}
