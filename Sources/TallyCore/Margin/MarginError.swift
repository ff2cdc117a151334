/// A margin report that cannot give a truthful answer: its totals do not
/// reconcile, or its inputs contradict each other. Never a footnote.
///
/// A ``DomainError`` (a code to match in `catch`, a message for people); its
/// codes are below.
public typealias MarginError = DomainError<MarginErrorDomain>

/// The area of ``MarginError``.
public enum MarginErrorDomain: ErrorDomain {}

extension DomainError.Code where Domain == MarginErrorDomain {
    /// Revenue lines do not add up to the invoice subtotals, rows do not
    /// add up to the totals, or the cost conservation laws fail.
    public static var reconciliation: Self { Self("reconciliation") }
    /// Inputs that cannot be used (negative revenue, mismatched currencies).
    public static var invalidInput: Self { Self("invalidInput") }
}
