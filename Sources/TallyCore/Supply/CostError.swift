/// A cost computation that cannot give a truthful answer.
public struct CostError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// No FX rate for a currency on or before a day.
        public static let missingFXRate = Code("missingFXRate")
        /// A pool-hour allocates more GPUs than it has.
        public static let overAllocated = Code("overAllocated")
        /// A period that is empty or not on whole hours.
        public static let invalidPeriod = Code("invalidPeriod")
        /// An allocation or purchase for a site the engine does not know.
        public static let unknownPool = Code("unknownPool")
        /// Arithmetic left the exact range.
        public static let arithmetic = Code("arithmetic")

        public static func ~= (code: Code, error: any Error) -> Bool {
            (error as? CostError)?.code == code
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
