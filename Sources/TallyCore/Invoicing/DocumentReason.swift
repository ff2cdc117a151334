/// The reason finance gives for a credit grant, a void or a credit note.
///
/// It is printed on the credit note and in the credit ledger, where an
/// auditor reads why money moved, so it has to say something: the tables'
/// checks refuse an empty reason, and white space alone says nothing either.
/// Checked before anything is written, so every caller (the CLI, a later
/// HTTP API) gets the same sentence instead of a database rule.
public enum DocumentReason {
    /// Throws ``InvoiceError/Code/invalidInput`` naming `--reason`, its value
    /// and why, when `text` is empty or only white space. `what` names the
    /// document: "a grant", "a void", "a credit note".
    public static func check(_ text: String, for what: String, shownOn place: String) throws(InvoiceError) {
        guard text.trimmingSpaces.isEmpty else { return }
        throw InvoiceError(.invalidInput, """
            --reason "\(text)": \(what) needs a reason (it is shown \(place)), not \(text.isEmpty ? "an empty one" : "only white space"); \
            say why, e.g. --reason "goodwill after the outage"
            """)
    }
}
