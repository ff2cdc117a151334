import Foundation
import TallyCore
import TallyPostgres

/// The audit log (`audit_log`, migration 0013): append-only, one entry per
/// committed change (docs/audit.md).
///
/// ## API (for the CLI and the server)
///
/// - Writing: every store method that makes an audited change takes an
///   optional `audit: AuditActor?` (default nil: nothing recorded). Given one,
///   it calls ``record(_:on:)`` inside its own transaction, so the entry
///   exists if and only if the change committed:
///
///   | store method | action | target |
///   | --- | --- | --- |
///   | `InvoiceStore.finalize(period:customer:issuer:issueDate:audit:)` | `invoice.finalize` | the period (`2026-11`), or `2026-11/<customer>` |
///   | `InvoiceStore.void(number:reason:on:audit:)` | `invoice.void` | the invoice number |
///   | `InvoiceStore.creditNote(number:lines:reason:on:audit:)` | `invoice.credit_note` | the invoice number |
///   | `InvoiceStore.markPaid(number:on:today:audit:)` | `invoice.payment` | the invoice number |
///   | `QuoteAcceptance.accept(id:customer:effective:now:audit:)` | `quote.accept` | the quote id |
///   | `RateCardStore.load(_:audit:)` | `rates.load` | the card ids, comma-separated |
///   | `CreditStore.grant(customer:amount:expiresOn:reason:grantedOn:audit:)` | `credits.grant` | the customer id |
///   | `CustomerStore.add(_:audit:)`, `importFile(_:audit:)` | `customers.create` / `customers.update` (one per changed customer; none when unchanged) | the customer id |
///
///   The command line passes `AuditActor(name: <OS user>, role: "cli")`; the
///   server passes `AuditActor(name: <key name>, role: <key role>, clock:)`.
///   A change the server makes without such a method (keys, usage ingest)
///   records its own entry in its transaction:
///   `try db.transaction { …change…; try AuditStore(db).record(actor.entry(.keysCreate, target: name), on: db) }`.
/// - Reading: ``list(since:limit:)``, oldest first, sorted by (at, id).
///
/// The entry's time comes from the actor's `TallyClock`, not the database's
/// `now()`, so clock-travel runs (`TALLY_NOW`) date entries at their instant.
public struct AuditStore {
    let db: PostgresConnection

    public init(_ db: PostgresConnection) {
        self.db = db
    }

    /// Appends `entry` on `db`, in the caller's transaction when there is one
    /// (always, for an entry describing a change: call it inside the change's
    /// transaction). Returns the entry with its id.
    @discardableResult
    public static func record(_ entry: AuditEntry, on db: PostgresConnection) throws -> AuditEntry {
        let details = entry.details.isEmpty ? nil : try Self.encode(entry.details)
        let id = try db.scalar(
            """
            INSERT INTO audit_log (at, actor, role, action, target, details)
            VALUES (\(entry.at), \(entry.actor), \(entry.role), \(entry.action.rawValue), \(entry.target), \(details)::jsonb)
            RETURNING id
            """, as: Int64.self)
        var stored = entry
        stored.id = id
        return stored
    }

    /// Appends `entries` in one statement, in their order (ids ascending):
    /// the server's grouped usage requests each keep their entry without a
    /// round trip each. Same transaction rule as ``record(_:on:)``.
    public static func record(_ entries: [AuditEntry], on db: PostgresConnection) throws {
        guard !entries.isEmpty else { return }
        let details = try entries.map { $0.details.isEmpty ? "" : try Self.encode($0.details) }
        try db.execute(prepared:
            """
            INSERT INTO audit_log (at, actor, role, action, target, details)
            SELECT at, actor, role, action, target, NULLIF(details, '')::jsonb
            FROM unnest(\(entries.map(\.at))::timestamptz[], \(entries.map(\.actor))::text[], \(entries.map(\.role))::text[],
                        \(entries.map(\.action.rawValue))::text[], \(entries.map(\.target))::text[], \(details)::text[])
                WITH ORDINALITY AS e (at, actor, role, action, target, details, position)
            ORDER BY position
            """)
    }

    /// Records `actor`'s entry for `action` on `target` when there is an actor
    /// (the `audit:` parameter of store methods); nothing when nil.
    static func record(_ actor: AuditActor?, _ action: AuditAction, target: String, details: [String: String] = [:],
                       on db: PostgresConnection) throws {
        guard let actor else { return }
        precondition(db.isInTransaction, "an audit entry is written in the transaction of its change")
        try record(actor.entry(action, target: target, details: details), on: db)
    }

    /// Entries at or after `since` (all when nil), oldest first, sorted by
    /// (at, id); at most `limit` of them (the earliest).
    public func list(since: UTCTimestamp? = nil, limit: Int? = nil) throws -> [AuditEntry] {
        let rows = try db.execute(
            """
            SELECT id, at, actor, role, action, target, details::text FROM audit_log
            WHERE \(since) IS NULL OR at >= \(since)
            ORDER BY at, id
            LIMIT \(limit.map(Int64.init))
            """)
        return try rows.map { row in
            AuditEntry(
                id: try row.decode(0, as: Int64.self), at: try row.decode(1, as: UTCTimestamp.self), actor: try row.decode(2, as: String.self),
                role: try row.decode(3, as: String.self), action: AuditAction(rawValue: try row.decode(4, as: String.self)),
                target: try row.decode(5, as: String.self),
                details: try row.decode(6, as: String?.self).map(Self.decode) ?? [:])
        }
    }

    /// Details as a JSON object, keys sorted.
    static func encode(_ details: [String: String]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(details), as: UTF8.self)
    }

    /// Reads details back; a value that is not text (written by hand) keeps its JSON text.
    static func decode(_ text: String) throws -> [String: String] {
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return [:] }
        var details: [String: String] = [:]
        for (key, value) in object {
            if let text = value as? String {
                details[key] = text
            } else {
                let data = try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys])
                details[key] = String(decoding: data, as: UTF8.self)
            }
        }
        return details
    }
}
