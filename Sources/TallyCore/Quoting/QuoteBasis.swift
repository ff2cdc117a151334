/// What a quote is priced with: a card, optionally with a discount off it and
/// flat prices of the quote's own, combined exactly like an override card
/// (SPEC §4): own prices replace the card's, the discount applies to every
/// other price, tier bands included, kept exact.
///
/// A discount or own prices go over a card without a base (e.g. `public`).
/// Quoting an override card (a customer's custom card) as it is works; adding
/// a discount or prices on top of one is refused, because the result could not
/// be written back as one override card over one base.
public struct QuoteBasis: Hashable, Sendable, Codable {
    public let card: String
    /// 0–100, at most 4 decimals (as a card's `discount_percent`).
    public let discountPercent: ExactDecimal?
    /// Sorted by model and class; one per (model, class).
    public let prices: [QuotePrice]

    public init(card: String, discountPercent: ExactDecimal? = nil, prices: [QuotePrice] = []) throws(QuoteError) {
        if let d = discountPercent, !RateCardRules.isValidDiscount(d) {
            throw QuoteError(.invalidInput, "discount \(d)%: \(RateCardRules.discountRule)")
        }
        var seen = Set<String>()
        for p in prices where !seen.insert("\(p.model)|\(p.tokenClass.rawValue)").inserted {
            throw QuoteError(.invalidInput, "price for \(p.model) \(p.tokenClass.rawValue) given twice")
        }
        self.card = card
        self.discountPercent = discountPercent
        self.prices = prices.sorted()
    }

    /// `15%`, `15` or `12.5%`.
    public static func parseDiscount(_ text: String) throws(QuoteError) -> ExactDecimal {
        let number = text.hasSuffix("%") ? String(text.dropLast()) : text
        guard let d = try? ExactDecimal(parsing: number), RateCardRules.isValidDiscount(d) else {
            throw QuoteError(.invalidInput, "discount '\(text)': \(RateCardRules.discountRule), e.g. 15%")
        }
        return d
    }

    public var isPlainCard: Bool { discountPercent == nil && prices.isEmpty }

    /// The terms a custom card made from this quote carries: a base card (one
    /// without a base), a discount and own prices. For an override card quoted
    /// as it is, its version in force at `time` is copied.
    public func terms(cards: [String: RateCard], at time: UTCTimestamp) throws(QuoteError) -> QuoteTerms {
        guard let card = cards[card] else {
            throw QuoteError(.invalidBasis, "no rate card '\(self.card)' (load cards first: tally rates load)")
        }
        guard let base = card.base else {
            return QuoteTerms(baseCard: card.id, currency: card.currency, discountPercent: discountPercent, prices: prices)
        }
        guard isPlainCard else {
            throw QuoteError(.invalidBasis, """
                card '\(card.id)' is an override of '\(base)': a discount or own prices go over a card without a base; \
                quote with --card \(base) --discount … --price …, or with --card \(card.id) alone
                """)
        }
        guard let version = card.version(at: time) else {
            throw QuoteError(.invalidBasis, "card '\(card.id)' has no version in force at \(time)")
        }
        var own: [QuotePrice] = []
        for (model, classes) in version.prices {
            for (tokenClass, price) in classes {
                own.append(QuotePrice(model: model, tokenClass: tokenClass, price: price.bands[0].price))
            }
        }
        return QuoteTerms(baseCard: base, currency: card.currency, discountPercent: version.discountPercent, prices: own.sorted())
    }
}
