/// How much compute a token of each class costs, relative to an input token.
///
/// A model's cost splits across token classes by these weights (SPEC §3):
/// `W = in·w_in + cached·w_cached + out·w_out`, and the cost per 1M output
/// tokens is `cost · w_out / W · 1,000,000`. The defaults 1 / 0.1 / 4 are the
/// median price ratios of public open-model price lists.
public struct ComputeWeights: Hashable, Sendable {
    public let input: ExactDecimal
    public let cachedInput: ExactDecimal
    public let output: ExactDecimal

    public init(input: ExactDecimal, cachedInput: ExactDecimal, output: ExactDecimal) {
        self.input = input
        self.cachedInput = cachedInput
        self.output = output
    }

    public static let standard = ComputeWeights(
        input: 1, cachedInput: ExactDecimal(units: ExactDecimal.unitsPerOne / 10), output: 4)
}

/// Token counts per class.
public struct TokenCounts: Hashable, Sendable {
    public var input: Int64
    public var cachedInput: Int64
    public var output: Int64

    public init(input: Int64 = 0, cachedInput: Int64 = 0, output: Int64 = 0) {
        self.input = input
        self.cachedInput = cachedInput
        self.output = output
    }

    public static let zero = TokenCounts()

    public var isZero: Bool { input == 0 && cachedInput == 0 && output == 0 }

    /// All classes together (volumes, not weighted).
    public var total: Int64 { input + cachedInput + output }

    public static func + (lhs: TokenCounts, rhs: TokenCounts) -> TokenCounts {
        TokenCounts(
            input: lhs.input + rhs.input, cachedInput: lhs.cachedInput + rhs.cachedInput,
            output: lhs.output + rhs.output)
    }

    /// `in·w_in + cached·w_cached + out·w_out`.
    public func weighted(by weights: ComputeWeights) throws(MoneyError) -> ExactDecimal {
        try ExactDecimal(Int(input)) * weights.input
            + ExactDecimal(Int(cachedInput)) * weights.cachedInput
            + ExactDecimal(Int(output)) * weights.output
    }
}

/// A model's cost per 1M tokens of each class.
public struct CostPerMillionTokens: Hashable, Sendable {
    public let input: ExactDecimal
    public let cachedInput: ExactDecimal
    public let output: ExactDecimal

    /// Splits `cost` across token classes by weight; nil when no weighted tokens.
    public init?(cost: ExactDecimal, tokens: TokenCounts, weights: ComputeWeights) throws(MoneyError) {
        let total = try tokens.weighted(by: weights)
        guard total > .zero else { return nil }
        let perWeightedMillion = try (cost * ExactDecimal(1_000_000)).divided(by: total, rounding: .halfEven)
        self.input = try perWeightedMillion.multiplied(by: weights.input, rounding: .halfEven)
        self.cachedInput = try perWeightedMillion.multiplied(by: weights.cachedInput, rounding: .halfEven)
        self.output = try perWeightedMillion.multiplied(by: weights.output, rounding: .halfEven)
    }
}
