/// What a quote's cost estimate stands on: each model's fully loaded cost per
/// 1M tokens over a trailing window (SPEC §3), in the reporting currency, and
/// the rate that brings it into the quote's currency.
///
/// A model missing from `perModel` has no cost history in the window: its
/// cost is unknown, never zero.
public struct QuoteCostBasis: Hashable, Sendable, Codable {
    /// `[from, to)`, whole UTC days.
    public let from: UTCTimestamp
    public let to: UTCTimestamp
    public let reportingCurrency: Currency
    /// GPU-hours used by all models and their tokens in the window.
    public let usedGPUHours: ExactDecimal
    public let tokens: Int64
    public let perModel: [String: ModelCost]
    /// Reporting currency → quote currency, when they differ.
    public let conversion: QuoteConversion?

    public struct ModelCost: Hashable, Sendable, Codable {
        /// Per 1M tokens, reporting currency, full precision.
        public let input: ExactDecimal
        public let cachedInput: ExactDecimal
        public let output: ExactDecimal

        public init(_ cost: CostPerMillionTokens) {
            input = cost.input
            cachedInput = cost.cachedInput
            output = cost.output
        }

        public subscript(tokenClass: TokenClass) -> ExactDecimal {
            switch tokenClass {
            case .input: input
            case .cachedInput: cachedInput
            case .output: output
            }
        }
    }

    public init(
        from: UTCTimestamp, to: UTCTimestamp, reportingCurrency: Currency, usedGPUHours: ExactDecimal, tokens: Int64,
        perModel: [String: CostPerMillionTokens], conversion: QuoteConversion? = nil
    ) {
        self.from = from
        self.to = to
        self.reportingCurrency = reportingCurrency
        self.usedGPUHours = usedGPUHours
        self.tokens = tokens
        self.perModel = perModel.mapValues(ModelCost.init)
        self.conversion = conversion
    }

    /// First and last day of the window (inclusive), e.g. 2026-10-30 – 2026-11-28.
    public var firstDay: CivilDate { from.date }
    public var lastDay: CivilDate { to.adding(microseconds: -1).date }
    public var days: Int { Int((to.microsecondsSinceEpoch - from.microsecondsSinceEpoch) / UTCTimestamp.microsecondsPerDay) }

    /// "no cost history between D1 and D2", for a model without cost.
    public var unknownReason: String { "no cost history between \(firstDay) and \(lastDay)" }
}
