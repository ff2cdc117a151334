/// Which card versions a price came from: what an invoice line cites.
public struct PriceSource: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let card: String
    public let version: UTCTimestamp
    /// For override cards: the base card version the price was derived from
    /// (nil when the override's own price was used).
    public let baseCard: String?
    public let baseVersion: UTCTimestamp?

    public init(card: String, version: UTCTimestamp, baseCard: String? = nil, baseVersion: UTCTimestamp? = nil) {
        self.card = card
        self.version = version
        self.baseCard = baseCard
        self.baseVersion = baseVersion
    }

    public static func < (lhs: PriceSource, rhs: PriceSource) -> Bool {
        (lhs.version, lhs.baseVersion ?? lhs.version, lhs.card) < (rhs.version, rhs.baseVersion ?? rhs.version, rhs.card)
    }

    public var description: String {
        var text = "\(card)@\(version)"
        if let baseCard, let baseVersion { text += " over \(baseCard)@\(baseVersion)" }
        return text
    }
}
