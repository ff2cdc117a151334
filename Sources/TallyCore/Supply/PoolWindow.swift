/// Hours `[from, to)` of one pool: what the capacity check asks the exact
/// hourly allocation totals of (a slot whose peaks could exceed capacity, or
/// a day of a pool with no purchase in the period).
public struct PoolWindow: Hashable, Sendable, Comparable {
    public let pool: Pool
    public let from: UTCTimestamp
    public let to: UTCTimestamp

    public init(pool: Pool, from: UTCTimestamp, to: UTCTimestamp) {
        self.pool = pool
        self.from = from
        self.to = to
    }

    public static func < (lhs: PoolWindow, rhs: PoolWindow) -> Bool {
        (lhs.pool, lhs.from, lhs.to) < (rhs.pool, rhs.from, rhs.to)
    }
}
