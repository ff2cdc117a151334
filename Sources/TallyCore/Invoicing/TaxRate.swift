/// A country's standard VAT / GST / sales-tax rate from a date on
/// (`rates/tax/*.yaml`, e.g. `rates/tax/standard-rates.yaml`).
public struct TaxRate: Hashable, Sendable {
    /// ISO 3166-1 alpha-2.
    public let country: String
    public let effectiveFrom: CivilDate
    /// In percent, exact (19 means 19%).
    public let percent: ExactDecimal
    /// What the tax is called on the invoice ("VAT", "USt", "GST", …).
    public let name: String

    public init(country: String, effectiveFrom: CivilDate, percent: ExactDecimal, name: String) {
        self.country = country
        self.effectiveFrom = effectiveFrom
        self.percent = percent
        self.name = name
    }
}
