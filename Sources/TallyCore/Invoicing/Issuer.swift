/// The company that issues invoices (the seller on every invoice), as
/// configured in `config/issuer.yaml`. Each invoice keeps the issuer as it
/// was when the invoice was finalized.
public struct Issuer: Hashable, Sendable, Codable {
    public var id: String
    public var name: String
    public var street: String
    public var city: String
    public var postcode: String
    /// ISO 3166-1 alpha-2.
    public var country: String
    public var vatID: String
    public var email: String
    /// Days from the issue date to the due date.
    public var paymentTermsDays: Int
    public var iban: String
    public var bic: String

    public init(id: String, name: String, street: String, city: String, postcode: String, country: String,
                vatID: String, email: String, paymentTermsDays: Int, iban: String, bic: String) {
        self.id = id
        self.name = name
        self.street = street
        self.city = city
        self.postcode = postcode
        self.country = country
        self.vatID = vatID
        self.email = email
        self.paymentTermsDays = paymentTermsDays
        self.iban = iban
        self.bic = bic
    }
}
