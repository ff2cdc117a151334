/// Tax at one rate on an invoice or credit note: the base (subtotal after
/// credits) and the amount, rounded once, half away from zero, to the
/// currency's minor unit (SPEC §2).
public struct InvoiceTax: Hashable, Sendable {
    public let category: TaxCategory
    /// "VAT", "USt", "GST", … from the tax table.
    public let name: String
    public let percent: ExactDecimal
    public let base: Money
    public let amount: Money

    public init(category: TaxCategory, name: String, percent: ExactDecimal, base: Money, amount: Money) {
        self.category = category
        self.name = name
        self.percent = percent
        self.base = base
        self.amount = amount
    }

    /// Computes the tax on `base`: base × percent ÷ 100, rounded once.
    public init(category: TaxCategory, name: String, percent: ExactDecimal, base: Money) throws(MoneyError) {
        let exact = try base.amount * percent
        let amount = Money(try exact.shifted(downBy: 2, roundedTo: base.currency.minorUnits, .halfAwayFromZero), base.currency)
        self.init(category: category, name: name, percent: percent, base: base, amount: amount)
    }
}
