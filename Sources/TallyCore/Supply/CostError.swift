/// A cost computation that cannot give a truthful answer.
///
/// A ``DomainError`` (a code to match in `catch`, a message for people); its
/// codes are below.
public typealias CostError = DomainError<CostErrorDomain>

/// The area of ``CostError``.
public enum CostErrorDomain: ErrorDomain {}

extension DomainError.Code where Domain == CostErrorDomain {
    /// No FX rate for a currency on or before a day.
    public static var missingFXRate: Self { Self("missingFXRate") }
    /// A pool-hour allocates more GPUs than it has.
    public static var overAllocated: Self { Self("overAllocated") }
    /// A period that is empty or not on whole hours.
    public static var invalidPeriod: Self { Self("invalidPeriod") }
    /// An allocation or purchase for a site the engine does not know.
    public static var unknownPool: Self { Self("unknownPool") }
    /// Arithmetic left the exact range.
    public static var arithmetic: Self { Self("arithmetic") }
}
