/// How one token class of one model is priced in a card version: a flat price
/// per 1M tokens, or tiers on the customer's monthly volume of that class.
public struct ClassPrice: Hashable, Sendable {
    public enum Mode: String, Sendable, Hashable, Codable {
        /// Each band's tokens at the band's price.
        case graduated
        /// All tokens at the price of the band the month's volume reaches.
        case volume
    }

    /// A tier band: tokens up to and including `upTo` (nil: no limit).
    public struct Band: Hashable, Sendable {
        public let upTo: Int64?
        /// The price per 1M tokens with the decimals the card states.
        public let price: StatedPrice

        public init(upTo: Int64?, price: StatedPrice) {
            self.upTo = upTo
            self.price = price
        }

        public init(upTo: Int64?, pricePerMillion: ExactDecimal) {
            self.init(upTo: upTo, price: StatedPrice(pricePerMillion))
        }

        public var pricePerMillion: ExactDecimal { price.value }
    }

    /// nil for a flat price (one band without limit).
    public let mode: Mode?
    public let bands: [Band]

    public static func flat(_ price: StatedPrice) -> ClassPrice {
        ClassPrice(mode: nil, bands: [Band(upTo: nil, price: price)])
    }

    public static func flat(_ pricePerMillion: ExactDecimal) -> ClassPrice {
        flat(StatedPrice(pricePerMillion))
    }

    /// Bands must be ascending, end without a limit, and prices must not be negative.
    public init(mode: Mode?, bands: [Band]) {
        self.mode = mode
        self.bands = bands
    }

    /// The index of the band holding the `n`-th token of the month (1-based).
    public func bandIndex(ofToken n: Int64) -> Int {
        bands.firstIndex { band in band.upTo.map { n <= $0 } ?? true } ?? bands.count - 1
    }

    /// Every price multiplied by `factor` (a discount), kept exact, with at
    /// least the decimals the card states.
    public func scaled(by factor: ExactDecimal) throws(MoneyError) -> ClassPrice {
        var scaled: [Band] = []
        for band in bands {
            scaled.append(Band(upTo: band.upTo, price: try band.price.multiplied(by: factor)))
        }
        return ClassPrice(mode: mode, bands: scaled)
    }

    /// Same mode, limits and price values, whatever decimals they are
    /// written with: `0.55` restated as `0.550000` changes no price.
    public func hasSamePrices(as other: ClassPrice) -> Bool {
        mode == other.mode && bands.count == other.bands.count
            && zip(bands, other.bands).allSatisfy { $0.upTo == $1.upTo && $0.pricePerMillion == $1.pricePerMillion }
    }
}
