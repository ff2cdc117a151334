/// An ISO 4217 currency and the number of decimal places of its minor unit.
///
/// Minor units decide where invoice amounts round (USD 2, JPY 0, KWD 3), so a
/// currency is only ever built from a known ISO code: an unknown or misspelt
/// code is an error at the edge, never a guessed default of two places.
public struct Currency: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    /// The three-letter code, upper case.
    public let code: String
    /// Decimal places of the minor unit.
    public let minorUnits: Int

    /// Looks up an ISO 4217 code (case-sensitive, upper case).
    public init(code: String) throws(MoneyError) {
        guard let units = Currency.iso4217MinorUnits[code] else {
            throw MoneyError(.unknownCurrency, "'\(code)' is not an ISO 4217 currency code")
        }
        self.code = code
        self.minorUnits = units
    }

    private init(known code: String, _ minorUnits: Int) {
        self.code = code
        self.minorUnits = minorUnits
    }

    public static let usd = Currency(known: "USD", 2)
    public static let eur = Currency(known: "EUR", 2)
    public static let gbp = Currency(known: "GBP", 2)
    public static let jpy = Currency(known: "JPY", 0)
    public static let chf = Currency(known: "CHF", 2)

    /// Every ISO 4217 code Tally knows, sorted.
    public static var allCodes: [String] { iso4217MinorUnits.keys.sorted() }

    public var description: String { code }

    public static func < (lhs: Currency, rhs: Currency) -> Bool { lhs.code < rhs.code }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(code)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self = try Currency(code: container.decode(String.self))
    }
}
