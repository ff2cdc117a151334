import Hummingbird
import TallyPresentation

/// A JSON object request body read strictly, for the API's commands
/// (create a customer, void an invoice, price a quote).
///
/// Unknown fields are refused (400 `input.invalid`, naming them and the
/// known ones, the rule of every command body) rather than ignored: a
/// misspelt `reson` or `fail_below_flor` silently dropped would do
/// something else than the caller meant. Amounts,
/// prices and token counts are JSON strings read by the CLI's own parsers;
/// a number arrives only where a small count is expected (`valid_days`),
/// read as an exact integer: a fraction or a number beyond 64 bits is a
/// 400, never rounded.
struct RequestFields: Sendable {
    let fields: [String: JSONValue]

    /// Reads the body (``JSONResponse/decode(_:fields:from:limit:)``: JSON,
    /// within its limit, no field outside `allowed`) and refuses missing `required` ones.
    static func read(_ request: Request, allowed: Set<String>, required: Set<String> = []) async throws -> RequestFields {
        let fields = try await JSONResponse.decode([String: JSONValue].self, fields: allowed, from: request)
        if let missing = required.subtracting(fields.keys).sorted().first {
            throw Problem.badRequest("input.invalid", "the JSON object needs \"\(missing)\"")
        }
        return RequestFields(fields: fields)
    }

    /// A text field; nil when absent or null.
    func text(_ key: String) throws -> String? {
        switch fields[key] {
        case nil, .null?: return nil
        case .text(let value)?: return value
        default: throw Self.wrongType(key, "text")
        }
    }

    /// A text field that must be there.
    func requiredText(_ key: String) throws -> String {
        guard let value = try text(key) else { throw Problem.badRequest("input.invalid", "the JSON object needs \"\(key)\" (text)") }
        return value
    }

    func bool(_ key: String) throws -> Bool? {
        switch fields[key] {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        default: throw Self.wrongType(key, "true or false")
        }
    }

    /// A whole number within `range` (a count, never money).
    func integer(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        let value: Int64
        switch fields[key] {
        case nil, .null?: return nil
        case .integer(let n)?: value = n
        case .number(let n)?: value = Int64(n)
        default: throw Self.wrongType(key, "a whole number")
        }
        guard value >= Int64(range.lowerBound), value <= Int64(range.upperBound) else {
            throw Problem.badRequest("input.invalid", "\"\(key)\" must be \(range.lowerBound) to \(range.upperBound), got \(value)")
        }
        return Int(value)
    }

    /// A list of texts; empty when absent or null.
    func texts(_ key: String) throws -> [String] {
        switch fields[key] {
        case nil, .null?: return []
        case .list(let values)?:
            return try values.map { value in
                guard case .text(let text) = value else { throw Self.wrongType(key, "a list of texts") }
                return text
            }
        default: throw Self.wrongType(key, "a list of texts")
        }
    }

    private static func wrongType(_ key: String, _ expected: String) -> Problem {
        Problem.badRequest("input.invalid", "\"\(key)\" must be \(expected)")
    }
}
