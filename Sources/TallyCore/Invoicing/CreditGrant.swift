/// A promotional credit (`tally credits grant`): an amount in one currency
/// that serves invoices of months ending on or before the end of its expiry
/// day; what is left after that is forfeited (SPEC §5).
public struct CreditGrant: Hashable, Sendable {
    public let id: String
    public let customerID: String
    public let amount: Money
    public let expiresOn: CivilDate
    public let reason: String
    public let grantedOn: CivilDate

    public init(id: String, customerID: String, amount: Money, expiresOn: CivilDate, reason: String, grantedOn: CivilDate) {
        self.id = id
        self.customerID = customerID
        self.amount = amount
        self.expiresOn = expiresOn
        self.reason = reason
        self.grantedOn = grantedOn
    }

    /// Whether the grant may serve the invoice of `period`: same currency, and
    /// the period ends (its last day) on or before the expiry day.
    public func serves(_ period: BillingMonth, currency: Currency) -> Bool {
        currency == amount.currency && period.lastDay <= expiresOn
    }
}
