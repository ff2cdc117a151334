/// What an API key may do (docs/api.md): one role per key.
///
/// The roles follow the people who use the service: the serving fleet only
/// sends usage, finance runs invoices, sales quotes, ops watches, admin
/// does everything (and manages keys).
public enum Role: String, Sendable, CaseIterable, Hashable, Comparable {
    case ingest, finance, sales, ops, admin

    public static func < (a: Role, b: Role) -> Bool { a.rawValue < b.rawValue }

    /// Parses a role name, listing the valid ones when it is not one.
    public init(parsing text: String) throws(KeyError) {
        guard let role = Role(rawValue: text) else {
            throw KeyError(.invalidInput, "unknown role '\(text)' (one of: \(Role.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self = role
    }

    /// Whether a key of this role may do what `permission` guards.
    public func allows(_ permission: Permission) -> Bool {
        switch self {
        case .admin:
            true
        case .ingest:
            permission == .usageWrite
        case .finance:
            [.invoicesRead, .invoicesWrite, .customersRead, .customersWrite, .usageRead, .ratesRead].contains(permission)
        case .sales:
            [.quotesRead, .quotesWrite, .ratesRead, .customersRead].contains(permission)
        case .ops:
            permission.isReadOnly || permission == .metrics
        }
    }
}
