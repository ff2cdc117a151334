/// A margin report that cannot give a truthful answer: its totals do not
/// reconcile, or its inputs contradict each other. Never a footnote.
public struct MarginError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// Revenue lines do not add up to the invoice subtotals, rows do not
        /// add up to the totals, or the cost conservation laws fail.
        public static let reconciliation = Code("reconciliation")
        /// Inputs that cannot be used (negative revenue, mismatched currencies).
        public static let invalidInput = Code("invalidInput")

        public static func ~= (code: Code, error: any Error) -> Bool {
            (error as? MarginError)?.code == code
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
