/// A month that cannot be priced truthfully.
public struct RatingError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A used model (and class) that the customer's card does not price.
        public static let unpriced = Code("unpriced")
        public static let arithmetic = Code("arithmetic")

        public static func ~= (code: Code, error: any Error) -> Bool {
            (error as? RatingError)?.code == code
        }
    }

    public var code: Code
    public var message: String
    /// For `unpriced`: the gaps, as (model, class, card, time of first use).
    public var gaps: [PricingGap]

    public init(_ code: Code, _ message: String, gaps: [PricingGap] = []) {
        self.code = code
        self.message = message
        self.gaps = gaps
    }

    public var description: String { message }
}

/// A model a card does not price when it was used.
public struct PricingGap: Hashable, Sendable, CustomStringConvertible {
    public let model: String
    public let tokenClass: TokenClass
    public let card: String
    public let firstUse: UTCTimestamp

    public var description: String {
        "card '\(card)' does not price \(model) \(tokenClass.rawValue) tokens (first used \(firstUse))"
    }
}
