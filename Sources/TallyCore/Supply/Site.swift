/// A data center (or a spot market) capacity is bought from.
public struct Site: Hashable, Sendable {
    public let id: String
    public let provider: String
    /// ISO 3166-1 alpha-2.
    public let country: String
    /// The currency its contracts are priced in.
    public let currency: Currency

    public init(id: String, provider: String, country: String, currency: Currency) {
        self.id = id
        self.provider = provider
        self.country = country
        self.currency = currency
    }
}
