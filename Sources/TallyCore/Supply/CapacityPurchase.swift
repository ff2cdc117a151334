/// Capacity bought for a pool over a window: a reserved contract, or a spot or
/// on-demand purchase.
///
/// All three cost `gpuCount × pricePerGPUHour` per hour, accrued per second.
/// A reserved contract costs every second of its term, used or not, plus its
/// upfront fee spread evenly per second over the term. Spot and on-demand stop
/// costing (and providing capacity) at `preemptedAt`.
public struct CapacityPurchase: Hashable, Sendable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case reserved
        case spot
        case onDemand = "on_demand"

        /// Spot and on-demand count as "spot share" in reports.
        public var isSpotLike: Bool { self != .reserved }
    }

    public let id: String
    public let kind: Kind
    public let pool: Pool
    public let gpuCount: Int
    public let start: UTCTimestamp
    public let end: UTCTimestamp
    /// In the site's currency.
    public let pricePerGPUHour: ExactDecimal
    /// Reserved only; amortized per second over `[start, end)`.
    public let upfrontFee: ExactDecimal
    public let preemptedAt: UTCTimestamp?

    public init(
        id: String, kind: Kind, pool: Pool, gpuCount: Int, start: UTCTimestamp, end: UTCTimestamp,
        pricePerGPUHour: ExactDecimal, upfrontFee: ExactDecimal = .zero, preemptedAt: UTCTimestamp? = nil
    ) {
        self.id = id
        self.kind = kind
        self.pool = pool
        self.gpuCount = gpuCount
        self.start = start
        self.end = end
        self.pricePerGPUHour = pricePerGPUHour
        self.upfrontFee = upfrontFee
        self.preemptedAt = preemptedAt
    }

    /// When it stops providing and costing: the end, or the preemption.
    public var effectiveEnd: UTCTimestamp {
        guard let preemptedAt, preemptedAt < end else { return end }
        return preemptedAt
    }

    /// Seconds of `[from, to)` during which the purchase is active.
    public func activeSeconds(from: UTCTimestamp, to: UTCTimestamp) -> Int64 {
        let lower = max(from, start).microsecondsSinceEpoch
        let upper = min(to, effectiveEnd).microsecondsSinceEpoch
        return upper > lower ? (upper - lower) / UTCTimestamp.microsecondsPerSecond : 0
    }
}
