/// A PostgreSQL SQLSTATE code (`23505`, `40001`, …), matchable in `catch`:
///
/// ```swift
/// do { try db.execute(insert) }
/// catch SQLState.uniqueViolation { … }
/// ```
///
/// Only the codes Tally reacts to are named; any other arrives as its raw value.
public struct SQLState: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// The two-character class (`23` integrity constraint violation, `40` rollback …).
    public var errorClass: String { String(rawValue.prefix(2)) }

    public static let uniqueViolation = SQLState(rawValue: "23505")
    public static let foreignKeyViolation = SQLState(rawValue: "23503")
    public static let notNullViolation = SQLState(rawValue: "23502")
    public static let checkViolation = SQLState(rawValue: "23514")
    public static let exclusionViolation = SQLState(rawValue: "23P01")
    public static let serializationFailure = SQLState(rawValue: "40001")
    public static let deadlockDetected = SQLState(rawValue: "40P01")
    public static let lockNotAvailable = SQLState(rawValue: "55P03")
    /// Raised by Tally's triggers when an issued invoice or credit note is changed.
    public static let objectNotInPrerequisiteState = SQLState(rawValue: "55000")
    public static let queryCanceled = SQLState(rawValue: "57014")
    public static let syntaxError = SQLState(rawValue: "42601")
    public static let undefinedTable = SQLState(rawValue: "42P01")
    public static let undefinedColumn = SQLState(rawValue: "42703")
    public static let invalidTextRepresentation = SQLState(rawValue: "22P02")
    public static let numericValueOutOfRange = SQLState(rawValue: "22003")
    public static let divisionByZero = SQLState(rawValue: "22012")
    public static let characterNotInRepertoire = SQLState(rawValue: "22021")
    public static let badCopyFileFormat = SQLState(rawValue: "22P04")
    /// `RAISE EXCEPTION` in PL/pgSQL without an explicit code (Tally's triggers use it).
    public static let raiseException = SQLState(rawValue: "P0001")
    public static let insufficientPrivilege = SQLState(rawValue: "42501")
    /// Among others: a prepared statement whose result columns changed
    /// since it was prepared ("cached plan must not change result type").
    public static let featureNotSupported = SQLState(rawValue: "0A000")

    /// Lets `catch SQLState.uniqueViolation` match a thrown ``PostgresError``.
    public static func ~= (state: SQLState, error: any Error) -> Bool {
        (error as? PostgresError)?.sqlState == state
    }
}
