import ArgumentParser
import TallyPresentation

extension ErrorKind {
    /// The command's exit status: the kind's raw value.
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

/// An option's value that the command itself refuses (`throw ValidationError`): bad input.
extension ValidationError: CodedError {
    public var errorKind: ErrorKind { .badInput }
    public var errorCode: String { "input.invalid" }
    public var errorMessage: String { message }
    public var errorDetails: [String: JSONValue] { [:] }
}
