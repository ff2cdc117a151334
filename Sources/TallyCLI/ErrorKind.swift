import ArgumentParser

/// What kind of failure ended a command, and so its exit status: a script
/// must tell "fix the input" from "the rules say no" from "try again later"
/// without reading the message (docs/errors.md).
enum ErrorKind: Int32, CaseIterable {
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

    var exitCode: ExitCode { ExitCode(rawValue) }

    /// For `tally --help`: one line per exit status.
    static let helpText = """
        EXIT STATUS
          0  done
          1  failure: a bug or a broken installation (see the message)
          2  bad input: an option, a file or a name to fix
          3  refused by a business rule (the message says which and what to do)
          4  database unavailable or busy: try again
          `tally usage ingest` exits 3 when some events were rejected (the others landed).
          With --format json a failing command prints {"error": {"code", "message", \
        "details"}} on stdout. Codes: docs/errors.md.
        """
}
