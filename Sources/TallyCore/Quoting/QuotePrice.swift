/// A quote's own flat price for one model and token class, per 1M tokens.
///
/// Like an override card's model price: it replaces the card's price (tiers
/// included) and is never discounted.
public struct QuotePrice: Hashable, Sendable, Codable, Comparable {
    public let model: String
    public let tokenClass: TokenClass
    public let pricePerMillion: ExactDecimal

    public init(model: String, tokenClass: TokenClass, pricePerMillion: ExactDecimal) {
        self.model = model
        self.tokenClass = tokenClass
        self.pricePerMillion = pricePerMillion
    }

    public static func < (lhs: QuotePrice, rhs: QuotePrice) -> Bool {
        (lhs.model, lhs.tokenClass) < (rhs.model, rhs.tokenClass)
    }

    /// Parses `MODEL:input=0.50,cached=0.05,output=0.90`: prices per 1M
    /// tokens, not negative, at most 6 decimals (as in a rate card file).
    public static func parse(_ text: String) throws(QuoteError) -> [QuotePrice] {
        let (model, values) = try QuoteVolume.assignments(text, what: "price", value: "P")
        var prices: [QuotePrice] = []
        for (tokenClass, text) in values {
            switch RateCardRules.price(text) {
            case .success(let value):
                prices.append(QuotePrice(model: model, tokenClass: tokenClass, pricePerMillion: value))
            case .failure(let violation):
                throw QuoteError(.invalidInput, "price \(model) \(tokenClass.rawValue) = '\(text)': \(violation.message)")
            }
        }
        return prices.sorted()
    }
}
