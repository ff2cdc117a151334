/// A JSON value built by hand, for output whose shape is not a Swift type:
/// an error's `details` (what a tool needs to act on it without parsing the
/// message) and report rows (decimals as strings, counts as integers).
public indirect enum JSONValue: Codable, Sendable, Hashable {
    case text(String)
    case bool(Bool)
    case number(Int)
    case integer(Int64)
    case list([JSONValue])
    case object([String: JSONValue])
    case null

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .list(let values): try container.encode(values)
        case .object(let members): try container.encode(members)
        case .null: try container.encodeNil()
        }
    }

    /// Reads what Tally's encoders write: strings, booleans, integers, arrays,
    /// objects and null (no binary floats: decimals travel as strings).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(String.self) {
            self = .text(value)
        } else if let values = try? container.decode([JSONValue].self) {
            self = .list(values)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// The value at `key` of an object, changed by `change` (nothing else changes).
    public func updating(_ key: String, _ change: (JSONValue) throws -> JSONValue) rethrows -> JSONValue {
        guard case .object(var members) = self, let member = members[key] else { return self }
        members[key] = try change(member)
        return .object(members)
    }

    /// Every element of an array, changed by `change`.
    public func updatingEach(_ change: (JSONValue) throws -> JSONValue) rethrows -> JSONValue {
        guard case .list(let values) = self else { return self }
        return .list(try values.map(change))
    }
}
