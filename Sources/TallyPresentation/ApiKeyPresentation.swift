import TallyCore
import TallyDatabase

/// `tally keys list`: name, role, created, revoked (never a secret or a hash).
public enum ApiKeyPresentation {
    public static let keys = ["name", "role", "created_at", "revoked_at"]

    public static func table(_ keys: [ApiKey]) -> TabularOutput {
        TabularOutput(
            header: ["NAME", "ROLE", "CREATED", "REVOKED"],
            rows: keys.map { [$0.name, $0.role.rawValue, $0.createdAt.description, $0.revokedAt?.description ?? ""] },
            textColumns: [0, 1, 2, 3])
    }
}
