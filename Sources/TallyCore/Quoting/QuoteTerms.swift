/// A quote's prices as an override card: base, discount, own flat prices.
public struct QuoteTerms: Hashable, Sendable, Codable {
    public let baseCard: String
    public let currency: Currency
    public let discountPercent: ExactDecimal?
    public let prices: [QuotePrice]

    public init(baseCard: String, currency: Currency, discountPercent: ExactDecimal?, prices: [QuotePrice]) {
        self.baseCard = baseCard
        self.currency = currency
        self.discountPercent = discountPercent
        self.prices = prices
    }

    /// These terms as a one-version override card starting at `from`.
    public func card(id: String, from: UTCTimestamp) -> RateCard {
        var models: [String: [TokenClass: ClassPrice]] = [:]
        for p in prices { models[p.model, default: [:]][p.tokenClass] = .flat(p.price) }
        return RateCard(id: id, currency: currency, base: baseCard, versions: [
            RateCard.Version(effectiveFrom: from, prices: models, discountPercent: discountPercent)
        ])
    }
}
