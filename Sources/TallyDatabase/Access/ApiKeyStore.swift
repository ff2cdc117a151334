import Crypto
import Foundation
import TallyCore
import TallyPostgres

/// API keys in `api_keys` (migration 0012, docs/api.md).
///
/// A key is `tally_` and 64 hex digits of 256 random bits; the table keeps
/// only its SHA-256, so neither the database nor a log of it can hand out
/// access. ``authenticate(_:)`` reads the table on every call (no cache):
/// a revocation holds from the next request on (the server's usage ingest
/// reads it in the transaction that stores the events, ``liveKeys(digests:)``). Creation and revocation are
/// recorded in the audit log in their own transaction.
public struct ApiKeyStore {
    /// Prefix of every key: recognisable in a leaked file or a secret scanner.
    public static let prefix = "tally_"

    let db: PostgresConnection

    public init(_ db: PostgresConnection) {
        self.db = db
    }

    /// Creates a key; returns it with its secret, which is not kept anywhere.
    public func create(name: String, role: Role, audit: AuditActor) throws -> (key: ApiKey, secret: String) {
        guard name.range(of: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", options: .regularExpression) != nil else {
            throw KeyError(.invalidInput, "invalid key name '\(name)': 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
        }
        let secret = Self.prefix + Self.hex(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
        let key = ApiKey(name: name, role: role, createdAt: audit.clock.now)
        try db.transaction {
            let taken = try db.scalar("SELECT count(*) FROM api_keys WHERE name = \(name)", as: Int64.self)
            guard taken == 0 else {
                throw KeyError(.exists, "a key named '\(name)' exists already (names are never reused; pick another)")
            }
            try db.execute(
                """
                INSERT INTO api_keys (name, role, key_hash, created_at)
                VALUES (\(name), \(role.rawValue), \(Self.hash(secret)), \(key.createdAt))
                """)
            try AuditStore.record(audit, .keysCreate, target: name, details: ["role": role.rawValue], on: db)
        }
        return (key, secret)
    }

    /// Every key, revoked ones too, sorted by name.
    public func list() throws -> [ApiKey] {
        try db.execute("SELECT name, role, created_at, revoked_at FROM api_keys ORDER BY name").map { row in
            ApiKey(name: try row.decode(0), role: try Role(parsing: try row.decode(1, as: String.self)),
                   createdAt: try row.decode(2), revokedAt: try row.decode(3, as: UTCTimestamp?.self))
        }
    }

    /// Revokes the key named `name` (from the next request on).
    public func revoke(name: String, audit: AuditActor) throws {
        try db.transaction {
            let rows = try db.execute("SELECT revoked_at IS NOT NULL FROM api_keys WHERE name = \(name) FOR UPDATE")
            guard let row = rows.first else { throw KeyError(.notFound, "no key named '\(name)' (see `tally keys list`)") }
            guard try !row.decode(0, as: Bool.self) else { throw KeyError(.revoked, "the key '\(name)' is revoked already") }
            try db.execute("UPDATE api_keys SET revoked_at = greatest(created_at, \(audit.clock.now)) WHERE name = \(name)")
            try AuditStore.record(audit, .keysRevoke, target: name, on: db)
        }
    }

    /// The live (not revoked) key whose secret is `secret`, or nil. The
    /// stored hash is compared with the computed one in constant time.
    public func authenticate(_ secret: String) throws -> ApiKey? {
        guard let digest = Self.digest(of: secret) else { return nil }
        return try liveKeys(digests: [digest])[digest]
    }

    /// The SHA-256 (lowercase hex) that ``liveKeys(digests:)`` looks up, or
    /// nil when `secret` is not shaped like a key (no look-up needed to
    /// refuse it). Computed without the database, so a caller can take the
    /// look-up into a transaction of its own (the server's usage ingest).
    public static func digest(of secret: String) -> String? {
        guard secret.hasPrefix(prefix), secret.utf8.count == prefix.utf8.count + 64 else { return nil }
        return hash(secret)
    }

    /// The live keys among `digests`, by digest, in one statement: a digest
    /// that names no key, or a revoked one, is absent. Read in the caller's
    /// transaction, so a revocation committed before it holds.
    public func liveKeys(digests: [String]) throws -> [String: ApiKey] {
        guard !digests.isEmpty else { return [:] }
        var keys: [String: ApiKey] = [:]
        let wanted = Set(digests)
        for row in try db.execute(
            prepared: "SELECT name, role, created_at, key_hash FROM api_keys WHERE key_hash = ANY(\(wanted.sorted())) AND revoked_at IS NULL")
        {
            // Found by equality in the index; matched to a wanted digest by
            // comparisons in constant time (docs/api.md: keys are compared so).
            let stored = Array(try row.decode(3, as: String.self).utf8)
            guard let digest = wanted.first(where: { Self.constantTimeEqual(stored, Array($0.utf8)) }) else { continue }
            keys[digest] = ApiKey(name: try row.decode(0), role: try Role(parsing: try row.decode(1, as: String.self)), createdAt: try row.decode(2))
        }
        return keys
    }

    /// SHA-256 of the key's UTF-8 bytes, lowercase hex.
    static func hash(_ secret: String) -> String {
        hex(Array(SHA256.hash(data: Array(secret.utf8))))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Equal bytes, in a time that depends only on the lengths.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
