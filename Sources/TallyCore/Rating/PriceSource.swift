/// Which card versions a price came from: what an invoice line cites.
public struct PriceSource: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let card: String
    public let version: UTCTimestamp
    /// For override cards: the base card version in force when the price
    /// applied: the version it was derived from, or, for the override's own
    /// price, the one it stood in for (a line never spans a base version
    /// change). Nil for cards without a base.
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
