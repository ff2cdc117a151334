/// Part of a credit grant consumed by one invoice.
public struct CreditApplication: Hashable, Sendable {
    public let grantID: String
    public let reason: String
    public let expiresOn: CivilDate
    public let amount: Money

    public init(grantID: String, reason: String, expiresOn: CivilDate, amount: Money) {
        self.grantID = grantID
        self.reason = reason
        self.expiresOn = expiresOn
        self.amount = amount
    }

    /// Applies grants (with what is left of each) to `subtotal` in the order of
    /// ``CreditGrant/precedes(_:_:)``, each as far as it goes, never taking the
    /// invoice below zero. Grants in another currency are skipped.
    public static func apply(
        _ available: [(grant: CreditGrant, remaining: Money)], to subtotal: Money
    ) throws(MoneyError) -> [CreditApplication] {
        var left = subtotal
        var applied: [CreditApplication] = []
        for (grant, remaining) in available.sorted(by: { CreditGrant.precedes($0.grant, $1.grant) }) {
            guard left.amount > .zero else { break }
            guard remaining.currency == subtotal.currency, remaining.amount > .zero else { continue }
            let take = remaining.amount < left.amount ? remaining : left
            applied.append(CreditApplication(grantID: grant.id, reason: grant.reason, expiresOn: grant.expiresOn, amount: take))
            left = try left - take
        }
        return applied
    }
}
