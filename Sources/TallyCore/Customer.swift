/// A customer billed monthly in arrears, in one currency, with one card.
public struct Customer: Hashable, Sendable, Codable {
    public enum TaxTreatment: String, Sendable, Hashable, CaseIterable, Codable {
        /// The standard rate of the customer's country.
        case standard
        /// EU business customer with a VAT id: 0%, and the legal note on the invoice.
        case reverseCharge = "reverse_charge"
        case exempt
    }

    public let id: String
    public let name: String
    public let billingEmail: String
    /// ISO 3166-1 alpha-2.
    public let country: String
    public let vatID: String?
    public let taxTreatment: TaxTreatment
    public let currency: Currency
    /// Rate card id (`public` by default).
    public let card: String

    public init(id: String, name: String, billingEmail: String, country: String, vatID: String?,
                taxTreatment: TaxTreatment, currency: Currency, card: String = "public") {
        self.id = id
        self.name = name
        self.billingEmail = billingEmail
        self.country = country
        self.vatID = vatID
        self.taxTreatment = taxTreatment
        self.currency = currency
        self.card = card
    }

    /// EU member states (ISO 3166-1 alpha-2; Greece as GR), for reverse charge.
    public static let euCountries: Set<String> = [
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU",
        "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
    ]
}
