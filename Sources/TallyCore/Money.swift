/// An exact amount in one currency.
///
/// Money never mixes currencies: adding USD to EUR throws, because a silent
/// sum of two currencies is a wrong invoice. Amounts keep full precision until
/// ``rounded(_:)`` rounds them to the currency's minor unit — which the spec
/// asks for once per invoice line and once per tax rate, nowhere else.
public struct Money: Sendable, Hashable, CustomStringConvertible, Codable {
    public let amount: ExactDecimal
    public let currency: Currency

    public init(_ amount: ExactDecimal, _ currency: Currency) {
        self.amount = amount
        self.currency = currency
    }

    /// Parses `"12.50"` in `currency`.
    public init(parsing text: some StringProtocol, _ currency: Currency) throws(MoneyError) {
        self.init(try ExactDecimal(parsing: text), currency)
    }

    public static func zero(_ currency: Currency) -> Money { Money(.zero, currency) }

    public var isZero: Bool { amount.isZero }
    public var isNegative: Bool { amount.isNegative }

    public static func + (lhs: Money, rhs: Money) throws(MoneyError) -> Money {
        try lhs.requireSameCurrency(rhs, "+")
        return Money(try lhs.amount + rhs.amount, lhs.currency)
    }

    public static func - (lhs: Money, rhs: Money) throws(MoneyError) -> Money {
        try lhs.requireSameCurrency(rhs, "-")
        return Money(try lhs.amount - rhs.amount, lhs.currency)
    }

    /// Scales by an exact factor (a quantity, a rate); throws if inexact.
    public static func * (lhs: Money, rhs: ExactDecimal) throws(MoneyError) -> Money {
        Money(try lhs.amount * rhs, lhs.currency)
    }

    /// Rounds to the currency's minor unit by a named rule; the invoice rule is
    /// ``RoundingRule/halfAwayFromZero``.
    public func rounded(_ rule: RoundingRule) -> Money {
        Money(amount.rounded(places: currency.minorUnits, rule), currency)
    }

    /// True when the amount is a whole number of minor units.
    public var isRoundedToMinorUnits: Bool { amount.decimalPlaces <= currency.minorUnits }

    /// `"1234.50 USD"` for a rounded amount; full precision otherwise.
    public var description: String {
        "\(exactText) \(currency.code)"
    }

    /// The amount with at least the currency's minor digits and every further
    /// decimal it has (`1020.00`, JPY `1200`, a cost `12.3456789`): reads as
    /// money, and loses nothing. What JSON documents write for amounts.
    public var exactText: String {
        amount.formatted(places: max(currency.minorUnits, amount.decimalPlaces))
    }

    /// The amount as text with exactly the currency's minor units. Rounds by
    /// `rule` first, so a display can never print more precision than it has.
    public func formattedAmount(_ rule: RoundingRule = .halfAwayFromZero) -> String {
        rounded(rule).amount.formatted(places: currency.minorUnits)
    }

    private func requireSameCurrency(_ other: Money, _ op: String) throws(MoneyError) {
        guard currency == other.currency else {
            throw MoneyError(
                .currencyMismatch, "cannot compute \(self) \(op) \(other): different currencies")
        }
    }
}

extension Sequence where Element == Money {
    /// The exact sum in `currency`; throws if any element is in another currency.
    public func sum(in currency: Currency) throws(MoneyError) -> Money {
        var total = Money.zero(currency)
        for value in self { total = try total + value }
        return total
    }
}
