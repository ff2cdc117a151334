/// A promotional credit (`tally credits grant`): an amount in one currency
/// that serves invoices of months ending after it was granted and on or
/// before the end of its expiry day; what is left after that is forfeited
/// (SPEC §5).
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

    /// Whether the grant may serve the invoice of `period`: same currency, the
    /// period ends after the grant was made (granted on or before its last
    /// day: a credit given in December does not lower November's bill), and on
    /// or before the end of the expiry day.
    public func serves(_ period: BillingMonth, currency: Currency) -> Bool {
        currency == amount.currency && grantedOn <= period.lastDay && period.lastDay <= expiresOn
    }

    /// The order grants are used in (SPEC §5): earliest expiry first, then the
    /// oldest grant, then the grant number as a number ("G-9" before "G-10":
    /// ids are a sequence, not text).
    public static func precedes(_ a: CreditGrant, _ b: CreditGrant) -> Bool {
        (a.expiresOn, a.grantedOn, a.sequence, a.id) < (b.expiresOn, b.grantedOn, b.sequence, b.id)
    }

    /// The number in the id ("G-12" → 12); ids without one sort after those with one.
    var sequence: Int {
        Int(id.drop { !$0.isNumber }) ?? .max
    }
}
