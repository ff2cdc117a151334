/// Answers "what does this token cost at this time?" for a customer's card,
/// following override cards down to their base.
public struct PriceBook: Sendable {
    public let cards: [String: RateCard]

    public init(cards: [RateCard]) {
        self.cards = Dictionary(cards.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public struct Resolved: Hashable, Sendable {
        public let price: ClassPrice
        public let source: PriceSource
    }

    /// The price of `model`'s `tokenClass` on `card` at `time`, with its
    /// source; nil when the card (or its base) does not price it then.
    public func price(card id: String, model: String, tokenClass: TokenClass, at time: UTCTimestamp) throws -> Resolved? {
        guard let card = cards[id], let version = card.version(at: time) else { return nil }
        if let own = version.prices[model]?[tokenClass] {
            // An override price belongs to the override's version in force; it
            // also cites the base card's version in force, so its lines split
            // at a version change of either card, like derived prices (SPEC §4).
            let baseVersion = card.base.flatMap { cards[$0]?.version(at: time) }
            return Resolved(price: own, source: PriceSource(
                card: card.id, version: version.effectiveFrom, baseCard: baseVersion == nil ? nil : card.base,
                baseVersion: baseVersion?.effectiveFrom))
        }
        guard let baseID = card.base else { return nil }
        guard let base = try price(card: baseID, model: model, tokenClass: tokenClass, at: time) else { return nil }
        var price = base.price
        if let percent = version.discountPercent, !percent.isZero {
            price = try price.scaled(by: (ExactDecimal(100) - percent).divided(by: 100, rounding: .halfEven))
        }
        return Resolved(
            price: price,
            source: PriceSource(card: card.id, version: version.effectiveFrom, baseCard: base.source.card, baseVersion: base.source.version))
    }
}
