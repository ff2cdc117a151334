/// A quote that cannot be made, stored or accepted truthfully, with what and why.
public struct QuoteError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A volume, price, discount or option that does not parse or is out of range.
        public static let invalidInput = Code("invalidInput")
        /// The price basis cannot be combined (e.g. a discount over an override card).
        public static let invalidBasis = Code("invalidBasis")
        /// No such quote, or a quote in a state that refuses the action (expired, accepted).
        public static let notFound = Code("notFound")
        public static let refused = Code("refused")

        public static func ~= (code: Code, error: any Error) -> Bool {
            (error as? QuoteError)?.code == code
        }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
