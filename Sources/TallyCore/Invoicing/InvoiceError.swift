/// Why an invoice could not be built, changed or rendered.
public struct InvoiceError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        init(_ name: String) { self.name = name }
        public var description: String { name }

        public static let currency = Code("currency")
        public static let tax = Code("tax")
        public static let state = Code("state")
        public static let inconsistent = Code("inconsistent")
        public static let notFound = Code("not found")
        public static let credit = Code("credit")

        public static func ~= (code: Code, error: any Error) -> Bool {
            (error as? InvoiceError)?.code == code
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
