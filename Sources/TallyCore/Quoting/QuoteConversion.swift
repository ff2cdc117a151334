/// A currency conversion a quote used, said on the quote: costs and market
/// prices are in other currencies than the card's.
///
/// `rate` is units of `to` per unit of `from` on `day` (the latest daily rate
/// on or before it, SPEC §3), a cross rate through the reporting currency kept
/// at 18 places (half-even).
public struct QuoteConversion: Hashable, Sendable, Codable {
    public let from: Currency
    public let to: Currency
    public let rate: ExactDecimal
    public let day: CivilDate

    public init(from: Currency, to: Currency, rate: ExactDecimal, day: CivilDate) {
        self.from = from
        self.to = to
        self.rate = rate
        self.day = day
    }

    /// From `FXTable` rates into the reporting currency: `from → reporting → to`.
    public init(from: Currency, to: Currency, fx: FXTable, day: CivilDate) throws {
        let fromRate = try fx.rate(from, on: day)
        let toRate = try fx.rate(to, on: day)
        self.init(from: from, to: to, rate: try fromRate.divided(by: toRate, rounding: .halfEven), day: day)
    }

    public func convert(_ value: ExactDecimal) throws(MoneyError) -> ExactDecimal {
        try value.multiplied(by: rate, rounding: .halfEven)
    }

    public var description: String { "1 \(from) = \(rate) \(to) (FX of \(day))" }
}
