/// Providers' prices per 1M tokens for one model and token class, from the
/// market reference table: min, median and max, and where a price sits.
///
/// The median of an even count is the mean of the middle two (exact: halving
/// adds one decimal place at most).
public struct MarketRange: Hashable, Sendable, Codable {
    public let min: ExactDecimal
    public let median: ExactDecimal
    public let max: ExactDecimal
    /// How many prices the range is over (quotes give one per provider).
    public let offers: Int

    /// nil without prices.
    public init?(prices: [ExactDecimal]) throws(MoneyError) {
        guard !prices.isEmpty else { return nil }
        let sorted = prices.sorted()
        let middle = sorted.count / 2
        min = sorted[0]
        max = sorted[sorted.count - 1]
        median = sorted.count % 2 == 1 ? sorted[middle] : try (sorted[middle - 1] + sorted[middle]).divided(by: 2, rounding: .halfEven)
        offers = sorted.count
    }

    public init(min: ExactDecimal, median: ExactDecimal, max: ExactDecimal, offers: Int) {
        self.min = min
        self.median = median
        self.max = max
        self.offers = offers
    }

    /// Where a price sits in the range.
    public enum Position: String, Hashable, Sendable, Codable {
        case belowMin = "below min"
        /// min ≤ price < median
        case minToMedian = "min-median"
        /// price = median
        case atMedian = "at median"
        /// median < price ≤ max
        case medianToMax = "median-max"
        case aboveMax = "above max"
    }

    public func position(of price: ExactDecimal) -> Position {
        if price < min { return .belowMin }
        if price > max { return .aboveMax }
        if price == median { return .atMedian }
        return price < median ? .minToMedian : .medianToMax
    }

    /// Every figure multiplied by a conversion's rate (market prices are USD).
    public func converted(_ conversion: QuoteConversion) throws(MoneyError) -> MarketRange {
        MarketRange(min: try conversion.convert(min), median: try conversion.convert(median), max: try conversion.convert(max), offers: offers)
    }
}
