/// Why an API key could not be created, found or revoked (`key.*` codes).
public typealias KeyError = DomainError<KeyErrorDomain>

/// The area of ``KeyError``.
public enum KeyErrorDomain: ErrorDomain {}

extension DomainError.Code where Domain == KeyErrorDomain {
    /// A key name or role that is not valid.
    public static var invalidInput: Self { Self("invalid input") }
    public static var notFound: Self { Self("not found") }
    /// A key of that name exists already (names are never reused).
    public static var exists: Self { Self("exists") }
    /// The key is revoked already.
    public static var revoked: Self { Self("revoked") }
}
