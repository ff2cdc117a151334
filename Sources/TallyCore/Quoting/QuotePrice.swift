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
        guard let colon = text.lastIndex(of: ":"), colon != text.startIndex else {
            throw QuoteError(.invalidInput, "price '\(text)': expected MODEL:input=P,cached=P,output=P (per 1M tokens)")
        }
        let model = String(text[..<colon])
        var prices: [QuotePrice] = []
        for part in text[text.index(after: colon)...].split(separator: ",", omittingEmptySubsequences: false) {
            let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2, let tokenClass = QuoteVolume.tokenClass(pair[0]) else {
                throw QuoteError(.invalidInput, "price '\(text)': '\(part)' is not input=P, cached=P or output=P")
            }
            guard !prices.contains(where: { $0.tokenClass == tokenClass }) else {
                throw QuoteError(.invalidInput, "price '\(text)': \(tokenClass.rawValue) given twice")
            }
            let field = "price \(model) \(tokenClass.rawValue) = '\(pair[1])'"
            guard let value = try? ExactDecimal(parsing: pair[1]) else { throw QuoteError(.invalidInput, "\(field): not a decimal price") }
            guard !value.isNegative else { throw QuoteError(.invalidInput, "\(field): a price cannot be negative") }
            guard value.decimalPlaces <= 6 else { throw QuoteError(.invalidInput, "\(field): prices per 1M tokens have at most 6 decimals") }
            prices.append(QuotePrice(model: model, tokenClass: tokenClass, pricePerMillion: value))
        }
        return prices.sorted()
    }
}
