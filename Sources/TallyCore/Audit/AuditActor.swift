/// Who makes an audited change, and the clock that dates it.
///
/// A store method that changes something takes an optional `audit:
/// AuditActor?`; given one, it records an ``AuditEntry`` in the same
/// transaction as the change. The command line passes the OS user with role
/// `cli`; the server passes the API key's name and role.
public struct AuditActor: Sendable, Hashable {
    /// The role of every change made from the command line.
    public static let commandLineRole = "cli"

    /// An API key's name, or the OS user.
    public let name: String
    /// `cli`, or the API key's role.
    public let role: String
    /// Dates the entry (`TallyClock.current` in the CLI; a fixed clock in tests).
    public let clock: TallyClock

    public init(name: String, role: String, clock: TallyClock = .current) {
        self.name = name
        self.role = role
        self.clock = clock
    }

    /// The entry this actor makes for `action` on `target`, dated now by its clock.
    public func entry(_ action: AuditAction, target: String, details: [String: String] = [:]) -> AuditEntry {
        AuditEntry(at: clock.now, actor: name, role: role, action: action, target: target, details: details)
    }
}
