/// One line of the audit log: who changed what, as which role, when.
///
/// Entries are facts about committed changes, never edited: the store writes
/// one in the transaction of the change it describes and the database refuses
/// to update or delete it (docs/audit.md).
public struct AuditEntry: Sendable, Hashable {
    /// The database's id (nil until stored); orders entries of the same instant.
    public var id: Int64?
    /// When, by Tally's clock (`TALLY_NOW` when set), not the database's.
    public var at: UTCTimestamp
    /// An API key's name, or the OS user of a command.
    public var actor: String
    /// `cli` for the command line, else the API key's role.
    public var role: String
    public var action: AuditAction
    /// What the change was about: an invoice number, a customer id, a quote id…
    public var target: String
    /// Facts a reader needs without looking elsewhere (reason, numbers given,
    /// counts), as text; empty when there are none.
    public var details: [String: String]

    public init(id: Int64? = nil, at: UTCTimestamp, actor: String, role: String, action: AuditAction, target: String,
                details: [String: String] = [:]) {
        self.id = id
        self.at = at
        self.actor = actor
        self.role = role
        self.action = action
        self.target = target
        self.details = details
    }
}
