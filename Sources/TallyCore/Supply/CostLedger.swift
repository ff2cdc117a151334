/// What capacity cost over a period, at the finest grain reports need:
/// per pool and day for capacity, and per pool, day and model for usage.
///
/// Built by ``CostEngine``; grouped into report rows by ``CostReport``.
/// Every figure is in the reporting currency at full precision.
public struct CostLedger: Sendable {
    public struct PoolDay: Hashable, Sendable, Comparable {
        public let pool: Pool
        public let day: CivilDate
        public static func < (lhs: PoolDay, rhs: PoolDay) -> Bool { (lhs.pool, lhs.day) < (rhs.pool, rhs.day) }
    }

    public struct PoolDayFigures: Sendable, Equatable {
        /// Capacity in GPU-seconds, exact (see ``capacityGPUHours``).
        public var capacityGPUSeconds: Int64 = 0
        /// Capacity from spot and on-demand purchases, in GPU-seconds.
        public var spotGPUSeconds: Int64 = 0
        public var usedGPUHours: ExactDecimal = .zero
        public var purchaseCost: ExactDecimal = .zero
        public var usedCost: ExactDecimal = .zero
        /// purchaseCost − usedCost, exactly.
        public var idleCost: ExactDecimal = .zero
        /// Idle cost of a pool nobody used in the whole period.
        public var strandedCost: ExactDecimal = .zero

        public var capacityGPUHours: ExactDecimal { .gpuHours(seconds: capacityGPUSeconds) }
        public var spotGPUHours: ExactDecimal { .gpuHours(seconds: spotGPUSeconds) }
    }

    public struct Usage: Hashable, Sendable, Comparable {
        public let pool: Pool
        public let day: CivilDate
        public let model: String
        public static func < (lhs: Usage, rhs: Usage) -> Bool {
            (lhs.pool, lhs.day, lhs.model) < (rhs.pool, rhs.day, rhs.model)
        }
    }

    public struct UsageFigures: Sendable, Equatable {
        public var usedGPUHours: ExactDecimal = .zero
        public var usedCost: ExactDecimal = .zero
        /// usedCost plus this usage's share of its pool's idle cost over the period.
        public var fullyLoadedCost: ExactDecimal = .zero
        /// Tokens served, when the allocation data carried them.
        public var tokens: TokenCounts = .zero
    }

    public let period: CostPeriod
    public let reportingCurrency: Currency
    public let sites: [String: Site]
    public internal(set) var poolDays: [PoolDay: PoolDayFigures]
    public internal(set) var usage: [Usage: UsageFigures]

    /// The row a pool's day falls in when grouped by `dimension` (cost and
    /// margin reports group alike); nil for `.model`, which capacity is not.
    public func key(_ dimension: CostReport.Dimension, pool: Pool, day: CivilDate) -> String? {
        switch dimension {
        case .model: nil
        case .pool: pool.description
        case .site: pool.site
        case .country: sites[pool.site]?.country ?? "??"
        case .gpu: pool.gpuType
        case .day: day.description
        }
    }

    /// Sums over everything, for reconciliation.
    public func totals() throws -> CostTotals {
        var t = CostTotals()
        for figures in poolDays.values {
            t.capacityGPUSeconds += figures.capacityGPUSeconds
            t.spotGPUSeconds += figures.spotGPUSeconds
            t.usedGPUHours = try t.usedGPUHours + figures.usedGPUHours
            t.purchaseCost = try t.purchaseCost + figures.purchaseCost
            t.usedCost = try t.usedCost + figures.usedCost
            t.idleCost = try t.idleCost + figures.idleCost
            t.strandedCost = try t.strandedCost + figures.strandedCost
        }
        for figures in usage.values {
            t.fullyLoadedCost = try t.fullyLoadedCost + figures.fullyLoadedCost
        }
        return t
    }
}

/// Period totals and the two conservation laws of SPEC §3.
public struct CostTotals: Sendable, Equatable {
    /// Capacity in GPU-seconds, summed exactly; read as ``capacityGPUHours``.
    public var capacityGPUSeconds: Int64 = 0
    public var spotGPUSeconds: Int64 = 0
    public var usedGPUHours: ExactDecimal = .zero
    public var purchaseCost: ExactDecimal = .zero
    public var usedCost: ExactDecimal = .zero
    public var idleCost: ExactDecimal = .zero
    public var fullyLoadedCost: ExactDecimal = .zero
    public var strandedCost: ExactDecimal = .zero

    /// Σ GPU-seconds / 3600, rounded once.
    public var capacityGPUHours: ExactDecimal { .gpuHours(seconds: capacityGPUSeconds) }
    public var spotGPUHours: ExactDecimal { .gpuHours(seconds: spotGPUSeconds) }

    public var idleGPUHours: ExactDecimal { (try? capacityGPUHours - usedGPUHours) ?? .zero }

    /// Idle share of capacity, 0…1 (nil without capacity).
    public var idleFraction: ExactDecimal? { perCapacityGPUHour(idleGPUHours, capacityGPUSeconds) }

    /// Spot and on-demand share of capacity, 0…1.
    public var spotFraction: ExactDecimal? { perCapacityGPUHour(spotGPUHours, capacityGPUSeconds) }

    /// Purchase cost per capacity GPU-hour.
    public var blendedCostPerGPUHour: ExactDecimal? { perCapacityGPUHour(purchaseCost, capacityGPUSeconds) }

    /// used + idle = purchase cost, exactly.
    public var usedPlusIdleReconciles: Bool { (try? usedCost + idleCost) == purchaseCost }
    /// fully loaded + stranded = purchase cost, exactly.
    public var fullyLoadedPlusStrandedReconciles: Bool { (try? fullyLoadedCost + strandedCost) == purchaseCost }
}

/// `value / capacity` for report ratios (shares of capacity, cost per
/// GPU-hour), with capacity in GPU-seconds: `value × 3600 / seconds`, one
/// rounding; nil when either is missing or there is no capacity.
func perCapacityGPUHour(_ value: ExactDecimal?, _ capacityGPUSeconds: Int64?) -> ExactDecimal? {
    guard let value, let capacityGPUSeconds, capacityGPUSeconds > 0 else { return nil }
    return try? value.multiplied(by: CostEngine.secondsPerHour, dividedBy: ExactDecimal(Int(capacityGPUSeconds)), rounding: .halfEven)
}
