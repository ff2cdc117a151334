/// One model and token class of a quote: a month of the expected volume
/// priced with tiers applied, its estimated cost, margin and market position.
///
/// The price is the sum of the tier bands' amounts, each band rounded once to
/// the currency's minor unit (half away from zero), exactly as an invoice
/// would bill that volume in a month. Cost and margin keep full precision.
public struct QuoteLine: Hashable, Sendable, Codable {
    public let model: String
    public let tokenClass: TokenClass
    public let tokens: Int64
    /// Tier bands as an invoice would show them.
    public let bands: [Band]
    public let price: Money
    /// price ÷ tokens × 1,000,000, kept at 18 places (half-even).
    public let effectivePerMillion: ExactDecimal
    /// In the quote's currency; nil when the model has no cost history.
    public let costPerMillion: ExactDecimal?
    public let cost: ExactDecimal?
    public let market: MarketRange?

    public struct Band: Hashable, Sendable, Codable {
        public let label: String?
        public let quantity: Int64
        /// With the decimals its card states.
        public let unitPrice: StatedPrice
        public let amount: ExactDecimal
        /// Which card versions the price came from.
        public let source: String

        /// Stored quotes name the price `unitPricePerMillion`; older ones read
        /// back with the decimals their text has.
        private enum CodingKeys: String, CodingKey {
            case label, quantity, unitPrice = "unitPricePerMillion", amount, source
        }

        public var unitPricePerMillion: ExactDecimal { unitPrice.value }
    }

    public init(
        model: String, tokenClass: TokenClass, tokens: Int64, bands: [Band], price: Money, costPerMillion: ExactDecimal?,
        market: MarketRange?
    ) throws(MoneyError) {
        self.model = model
        self.tokenClass = tokenClass
        self.tokens = tokens
        self.bands = bands
        self.price = price
        self.effectivePerMillion = try (price.amount * ExactDecimal(1_000_000)).divided(by: ExactDecimal(Int(tokens)), rounding: .halfEven)
        self.costPerMillion = costPerMillion
        self.cost = try costPerMillion.map { (c) throws(MoneyError) in
            try c.multiplied(by: ExactDecimal(Int(tokens)), dividedBy: ExactDecimal(1_000_000), rounding: .halfEven)
        }
        self.market = market
    }

    public var figures: QuoteFigures { QuoteFigures(price: price.amount, cost: cost) }

    public var marketPosition: MarketRange.Position? { market?.position(of: effectivePerMillion) }
}
