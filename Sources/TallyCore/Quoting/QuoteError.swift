/// A quote that cannot be made, stored or accepted truthfully, with what and why.
///
/// A ``DomainError`` (a code to match in `catch`, a message for people); its
/// codes are below.
public typealias QuoteError = DomainError<QuoteErrorDomain>

/// The area of ``QuoteError``.
public enum QuoteErrorDomain: ErrorDomain {}

extension DomainError.Code where Domain == QuoteErrorDomain {
    /// A volume, price, discount or option that does not parse or is out of range.
    public static var invalidInput: Self { Self("invalidInput") }
    /// The price basis cannot be combined (e.g. a discount over an override card).
    public static var invalidBasis: Self { Self("invalidBasis") }
    /// No such quote, or a quote in a state that refuses the action (expired, accepted).
    public static var notFound: Self { Self("notFound") }
    public static var refused: Self { Self("refused") }
}
