/// The house error shape, after swift-nio's `FileSystemError` and
/// postgres-nio's `PSQLError`: a ``Code`` a caller can match in `catch`, and
/// a message for people that says where and why.
///
/// One generic type serves every area of the pure core, so an area only
/// names itself and lists its codes (see ``MoneyError``):
///
/// ```swift
/// public enum MoneyErrorDomain: ErrorDomain {}
/// public typealias MoneyError = DomainError<MoneyErrorDomain>
/// extension DomainError.Code where Domain == MoneyErrorDomain {
///     public static var overflow: Self { Self("overflow") }
/// }
///
/// do { … } catch MoneyError.Code.overflow { … }
/// ```
///
/// Errors of different areas are different types: a `catch let e as
/// MoneyError` never sees a `CostError`, and typed throws name the area.
public struct DomainError<Domain: ErrorDomain>: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, matchable in `catch`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        /// Codes are declared by their area (in this package), never made up by callers.
        package init(_ name: String) { self.name = name }
        public var description: String { name }

        /// Lets `catch MoneyError.Code.overflow` match directly.
        public static func ~= (code: Code, error: any Error) -> Bool {
            (error as? DomainError)?.code == code
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

/// Names an area of errors (money, cost, invoices, …): a type with no values.
public protocol ErrorDomain: Sendable {}
