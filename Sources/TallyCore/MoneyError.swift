/// An error of exact arithmetic or money handling.
///
/// Nothing here is ever silently rounded or converted, so these errors are
/// how bad figures surface.
///
/// A ``DomainError`` (a code to match in `catch`, a message for people); its
/// codes are below.
public typealias MoneyError = DomainError<MoneyErrorDomain>

/// The area of ``MoneyError``.
public enum MoneyErrorDomain: ErrorDomain {}

extension DomainError.Code where Domain == MoneyErrorDomain {
    /// A result outside ``ExactDecimal``'s range.
    public static var overflow: Self { Self("overflow") }
    /// A result that needs more than eighteen decimal places.
    public static var inexact: Self { Self("inexact") }
    /// Text that is not a decimal number.
    public static var invalidDecimal: Self { Self("invalidDecimal") }
    public static var divisionByZero: Self { Self("divisionByZero") }
    /// Two amounts in different currencies combined.
    public static var currencyMismatch: Self { Self("currencyMismatch") }
    /// A currency code that is not in ISO 4217.
    public static var unknownCurrency: Self { Self("unknownCurrency") }
}
