/// One line of an invoice: a model, token class, card version and tier band
/// of one usage month, with exact quantity and unit price and the amount
/// rounded once (SPEC §5). Late usage lines belong to an earlier month than
/// their invoice's period and say so.
public struct InvoiceLine: Hashable, Sendable {
    /// 1-based position on the invoice (lines are sorted: usage month, model, class, version, band).
    public let number: Int
    public let usageMonth: BillingMonth
    public let model: String
    public let tokenClass: TokenClass
    public let source: PriceSource
    public let band: Int
    public let bandLabel: String?
    public let quantity: Int64
    /// The price per 1M tokens, with the decimals its card states (a line
    /// stored before prices kept their decimals has those it was stored with).
    public let unitPrice: StatedPrice
    public let amount: Money

    public init(number: Int, usageMonth: BillingMonth, rated: RatedLine) {
        self.init(number: number, usageMonth: usageMonth, model: rated.model, tokenClass: rated.tokenClass, source: rated.source,
                  band: rated.band, bandLabel: rated.bandLabel, quantity: rated.quantity,
                  unitPrice: rated.unitPrice, amount: rated.amount)
    }

    public init(number: Int, usageMonth: BillingMonth, model: String, tokenClass: TokenClass, source: PriceSource, band: Int,
                bandLabel: String?, quantity: Int64, unitPrice: StatedPrice, amount: Money) {
        self.number = number
        self.usageMonth = usageMonth
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

    /// What a person reads on the invoice.
    public func description(invoicePeriod: BillingMonth) -> String {
        var text = "\(model), \(tokenClass.displayName) tokens"
        if let bandLabel { text += ", \(bandLabel)" }
        text += " (card \(source))"
        if usageMonth != invoicePeriod { text += ", late usage of \(usageMonth)" }
        return text
    }
}

extension TokenClass {
    /// "input", "cached input", "output".
    public var displayName: String {
        switch self {
        case .input: "input"
        case .cachedInput: "cached input"
        case .output: "output"
        }
    }
}
