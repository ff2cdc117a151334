/// Price, cost and margin of a quote line, a model or the whole quote.
///
/// Margin = price − cost; margin % = margin ÷ price × 100. An unknown cost
/// (no cost history) leaves cost, margin and margin % unknown: never zero.
/// A price of zero has no margin %.
public struct QuoteFigures: Hashable, Sendable, Codable {
    public let price: ExactDecimal
    public let cost: ExactDecimal?

    public init(price: ExactDecimal, cost: ExactDecimal?) {
        self.price = price
        self.cost = cost
    }

    public var margin: ExactDecimal? { cost.flatMap { try? price - $0 } }

    /// Percent, 18 places (half-even).
    public var marginPercent: ExactDecimal? {
        guard let margin, !price.isZero else { return nil }
        return try? (margin * ExactDecimal(100)).divided(by: price, rounding: .halfEven)
    }

    public var costUnknown: Bool { cost == nil }

    public var belowCost: Bool { cost.map { price < $0 } ?? false }

    /// Margin % under `floor` percent (a zero price with a cost is under any floor).
    public func belowFloor(_ floor: ExactDecimal) -> Bool {
        guard let cost else { return false }
        guard let percent = marginPercent else { return !cost.isZero }
        return percent < floor
    }

    /// Sums figures; the cost is unknown if any part's is.
    public static func total(_ parts: [QuoteFigures]) throws(MoneyError) -> QuoteFigures {
        let price = try parts.map(\.price).sum()
        let costs = parts.compactMap(\.cost)
        return QuoteFigures(price: price, cost: costs.count == parts.count ? try costs.sum() : nil)
    }
}
