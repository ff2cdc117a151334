/// Something about a quote that sales must not miss: a margin under the
/// floor, a price under cost, or a cost that cannot be known.
public struct QuoteFlag: Hashable, Sendable, Codable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable, Codable {
        case belowFloor = "BELOW FLOOR"
        case belowCost = "BELOW COST"
        /// No cost history: the floor cannot be verified.
        case unverified = "UNVERIFIED"
    }

    public let kind: Kind
    /// `total`, a model, or `model class`.
    public let scope: String
    public let message: String

    public init(kind: Kind, scope: String, message: String) {
        self.kind = kind
        self.scope = scope
        self.message = message
    }

    public var description: String { "\(kind.rawValue) \(scope): \(message)" }
}
