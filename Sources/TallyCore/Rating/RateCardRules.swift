/// The rules a rate card's numbers follow, said once: card files
/// (`RateCardFile`) and quotes (``QuotePrice``, ``QuoteBasis``) check
/// the same things with the same words.
public enum RateCardRules {
    /// A price per 1M tokens from its text (a decimal, not negative, at most
    /// 6 places), with the decimals it is written with, or why it is not one.
    public static func price(_ text: some StringProtocol) -> Result<StatedPrice, RuleViolation> {
        guard let price = try? StatedPrice(parsing: String(text)) else { return .failure(RuleViolation("not a decimal price")) }
        guard !price.value.isNegative else { return .failure(RuleViolation("a price cannot be negative")) }
        guard price.places <= 6 else { return .failure(RuleViolation("prices per 1M tokens have at most 6 decimals")) }
        return .success(price)
    }

    /// A discount in percent: 0 to 100, at most 4 places.
    public static func isValidDiscount(_ percent: ExactDecimal) -> Bool {
        !percent.isNegative && percent <= 100 && percent.decimalPlaces <= 4
    }

    public static let discountRule = "must be a percentage from 0 to 100 with at most 4 decimals"
}

/// Why a number breaks a card rule, in words for the user.
public struct RuleViolation: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
