/// Tokens of one model served to one customer at one site on one UTC day of
/// the period (the hourly usage rollup, by the hour the tokens were served,
/// whatever month bills them). They carry cost: a customer's share of a
/// model's cost is its weighted tokens over the model's (SPEC §3).
public struct ServedTokens: Hashable, Sendable {
    public let customer: String
    public let model: String
    public let site: String
    public let day: CivilDate
    public let tokens: TokenCounts

    public init(customer: String, model: String, site: String, day: CivilDate, tokens: TokenCounts) {
        self.customer = customer
        self.model = model
        self.site = site
        self.day = day
        self.tokens = tokens
    }
}
