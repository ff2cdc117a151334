import TallyCore

/// Tokens one model served at one site in one hour of the demo month: the
/// link between the demo's supply (allocations) and its demand (usage
/// events), so the margins the demo shows compare like with like.
public struct ServedHour: Sendable, Equatable {
    public struct Key: Hashable, Sendable, Comparable {
        /// Hours since the start of the month.
        public let hour: Int
        public let site: String
        public let model: String

        public static func < (lhs: Key, rhs: Key) -> Bool {
            (lhs.hour, lhs.site, lhs.model) < (rhs.hour, rhs.site, rhs.model)
        }
    }

    public let key: Key
    public let tokens: TokenCounts
}
