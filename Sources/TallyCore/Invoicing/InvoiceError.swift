/// Why an invoice could not be built, changed or rendered.
///
/// A ``DomainError`` (a code to match in `catch`, a message for people); its
/// codes are below.
public typealias InvoiceError = DomainError<InvoiceErrorDomain>

/// The area of ``InvoiceError``.
public enum InvoiceErrorDomain: ErrorDomain {}

extension DomainError.Code where Domain == InvoiceErrorDomain {
    public static var currency: Self { Self("currency") }
    public static var tax: Self { Self("tax") }
    public static var state: Self { Self("state") }
    public static var inconsistent: Self { Self("inconsistent") }
    public static var notFound: Self { Self("not found") }
    /// A value a document needs that is missing or says nothing (an empty reason).
    public static var invalidInput: Self { Self("invalid input") }
    public static var credit: Self { Self("credit") }
    /// An issue or payment date out of order (before its period ends, before the
    /// last document of its number series, a payment before the issue or in the future).
    public static var date: Self { Self("date") }
}
