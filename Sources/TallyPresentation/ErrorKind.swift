/// What kind of failure ended a command, and so its exit status: a script
/// must tell "fix the input" from "the rules say no" from "try again later"
/// without reading the message (docs/errors.md). Shared by the command line
/// (exit status) and the server (HTTP status of the problem details).
public enum ErrorKind: Int32, CaseIterable, Sendable {
    /// A bug or a broken installation (a failed migration, an unexpected
    /// server error): nothing the user typed explains it.
    case failure = 1
    /// The input is wrong: an option, a file's content, a name that does not exist.
    case badInput = 2
    /// The input is well-formed but a business rule refuses it (a paid
    /// invoice voided, a date out of order, an unpriced model, a floor not met).
    case refused = 3
    /// The database cannot be reached, refuses the connection, or is busy
    /// with a conflicting change: retrying later may succeed.
    case unavailable = 4
}
