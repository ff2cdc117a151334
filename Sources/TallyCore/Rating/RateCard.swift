/// A rate card: versions of per-model prices per 1M tokens, in one currency.
///
/// A card with a `base` is an **override** of that card (a customer's
/// discount and/or own prices): in force at a time, its version's `prices`
/// replace the base's for those models and classes (flat, not discounted),
/// and `discountPercent` reduces every other price of the base, tier bands
/// included. A card without a base prices everything itself.
public struct RateCard: Hashable, Sendable {
    public struct Version: Hashable, Sendable {
        /// On a whole UTC hour, so hourly usage prices exactly.
        public let effectiveFrom: UTCTimestamp
        /// Model → class → price.
        public let prices: [String: [TokenClass: ClassPrice]]
        /// Override cards only: percent off the base's prices (0–100).
        public let discountPercent: ExactDecimal?

        public init(effectiveFrom: UTCTimestamp, prices: [String: [TokenClass: ClassPrice]], discountPercent: ExactDecimal? = nil) {
            self.effectiveFrom = effectiveFrom
            self.prices = prices
            self.discountPercent = discountPercent
        }
    }

    public let id: String
    public let currency: Currency
    public let base: String?
    public let description: String
    /// Sorted by `effectiveFrom`.
    public let versions: [Version]

    public init(id: String, currency: Currency, base: String? = nil, description: String = "", versions: [Version]) {
        self.id = id
        self.currency = currency
        self.base = base
        self.description = description
        self.versions = versions.sorted { $0.effectiveFrom < $1.effectiveFrom }
    }

    /// The version in force at `time`: the latest starting at or before it.
    public func version(at time: UTCTimestamp) -> Version? {
        versions.last { $0.effectiveFrom <= time }
    }
}
