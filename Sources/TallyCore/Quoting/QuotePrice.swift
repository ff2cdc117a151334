/// A quote's own flat price for one model and token class, per 1M tokens.
///
/// Like an override card's model price: it replaces the card's price (tiers
/// included) and is never discounted.
public struct QuotePrice: Hashable, Sendable, Codable, Comparable {
    public let model: String
    public let tokenClass: TokenClass
    /// With the decimals it was given with (`--price m:output=1.70` stays `1.70`).
    public let price: StatedPrice

    /// Stored quotes name the price `pricePerMillion`; older ones read back
    /// with the decimals their text has.
    private enum CodingKeys: String, CodingKey {
        case model, tokenClass, price = "pricePerMillion"
    }

    public init(model: String, tokenClass: TokenClass, price: StatedPrice) {
        self.model = model
        self.tokenClass = tokenClass
        self.price = price
    }

    public init(model: String, tokenClass: TokenClass, pricePerMillion: ExactDecimal) {
        self.init(model: model, tokenClass: tokenClass, price: StatedPrice(pricePerMillion))
    }

    public var pricePerMillion: ExactDecimal { price.value }

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
            case .success(let price):
                prices.append(QuotePrice(model: model, tokenClass: tokenClass, price: price))
            case .failure(let violation):
                throw QuoteError(.invalidInput, "price \(model) \(tokenClass.rawValue) = '\(text)': \(violation.message)")
            }
        }
        return prices.sorted()
    }
}
