import TallyCore

/// An API key as stored: its name, role and dates (never the secret, which
/// exists only in the hands of whoever `tally keys create` printed it to).
public struct ApiKey: Sendable, Hashable {
    public var name: String
    public var role: Role
    public var createdAt: UTCTimestamp
    public var revokedAt: UTCTimestamp?

    public init(name: String, role: Role, createdAt: UTCTimestamp, revokedAt: UTCTimestamp? = nil) {
        self.name = name
        self.role = role
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}
