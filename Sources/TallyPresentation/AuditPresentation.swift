import Foundation
import TallyCore

/// The audit log as rows (`tally audit`): oldest first, as the store sorts
/// them (at, id). Details print as compact JSON with sorted keys in the table
/// and CSV (unambiguous whatever a reason holds), as an object in JSON.
public enum AuditPresentation {
    public static let header = ["id", "at", "actor", "role", "action", "target", "details"]

    public static func table(_ entries: [AuditEntry]) -> TabularOutput {
        TabularOutput(
            header: header,
            rows: entries.map { e in
                [e.id.map(String.init) ?? "", e.at.description, e.actor, e.role, e.action.rawValue, e.target, detailsText(e.details)]
            },
            textColumns: [1, 2, 3, 4, 5, 6])
    }

    /// `{"numbers":"INV-2026-000001","reason":"…"}`, or empty when there are none.
    public static func detailsText(_ details: [String: String]) -> String {
        guard !details.isEmpty else { return "" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(details), as: UTF8.self)) ?? ""
    }

    /// One entry as a JSON object: `id` an integer, `details` an object of strings.
    public static func object(_ e: AuditEntry) -> JSONValue {
        .object([
            "id": e.id.map(JSONValue.integer) ?? .null, "at": .text(e.at.description), "actor": .text(e.actor), "role": .text(e.role),
            "action": .text(e.action.rawValue), "target": .text(e.target), "details": .object(e.details.mapValues(JSONValue.text)),
        ])
    }

    /// `tally audit --format json`: an array of ``object(_:)``.
    public static func json(_ entries: [AuditEntry]) throws -> String {
        try TabularOutput.encode(JSONValue.list(entries.map(object)))
    }
}
