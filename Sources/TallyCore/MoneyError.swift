/// An error of exact arithmetic or money handling.
///
/// Shaped like swift-nio's `FileSystemError`: an extensible ``Code`` to match
/// on, and a message for people. Nothing here is ever silently rounded or
/// converted, so these errors are how bad figures surface.
public struct MoneyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, matchable in `catch`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A result outside ``ExactDecimal``'s range.
        public static let overflow = Code("overflow")
        /// A result that needs more than eighteen decimal places.
        public static let inexact = Code("inexact")
        /// Text that is not a decimal number.
        public static let invalidDecimal = Code("invalidDecimal")
        public static let divisionByZero = Code("divisionByZero")
        /// Two amounts in different currencies combined.
        public static let currencyMismatch = Code("currencyMismatch")
        /// A currency code that is not in ISO 4217.
        public static let unknownCurrency = Code("unknownCurrency")

        /// Lets `catch MoneyError.Code.overflow` match directly.
        public static func ~= (code: Code, error: any Error) -> Bool {
            (error as? MoneyError)?.code == code
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
