/// One priced line of a customer's month: a model, token class, card version
/// and tier band, with the exact quantity and unit price and the amount
/// rounded once (half away from zero, to the currency's minor unit).
public struct RatedLine: Hashable, Sendable, Comparable {
    public let model: String
    public let tokenClass: TokenClass
    public let source: PriceSource
    /// Index of the tier band (0 for flat prices), and its range for people.
    public let band: Int
    public let bandLabel: String?
    public let quantity: Int64
    /// The price per 1M tokens, with the decimals its card states.
    public let unitPrice: StatedPrice
    public let amount: Money

    public init(
        model: String, tokenClass: TokenClass, source: PriceSource, band: Int, bandLabel: String?, quantity: Int64,
        unitPrice: StatedPrice, amount: Money
    ) {
        self.model = model
        self.tokenClass = tokenClass
        self.source = source
        self.band = band
        self.bandLabel = bandLabel
        self.quantity = quantity
        self.unitPrice = unitPrice
        self.amount = amount
    }

    public var unitPricePerMillion: ExactDecimal { unitPrice.value }

    public static func < (lhs: RatedLine, rhs: RatedLine) -> Bool {
        (lhs.model, lhs.tokenClass, lhs.source, lhs.band) < (rhs.model, rhs.tokenClass, rhs.source, rhs.band)
    }

    /// Quantity × unit price ÷ 1M, rounded once to the minor unit.
    public static func amount(quantity: Int64, unitPricePerMillion: ExactDecimal, currency: Currency) throws(MoneyError) -> Money {
        let exact = try ExactDecimal(Int(quantity)) * unitPricePerMillion
        return Money(try exact.shifted(downBy: 6, roundedTo: currency.minorUnits, .halfAwayFromZero), currency)
    }
}
