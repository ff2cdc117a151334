/// Computes what capacity cost and where it went (SPEC §3). Pure: it is fed
/// sites, purchases, FX rates and allocations, and returns a ``CostLedger``.
///
/// Per pool and hour `h` of the period:
/// - capacity `C` = Σ GPUs × active seconds / 3600 over the purchases active in `h`;
/// - cost `K` = Σ (GPUs × price × seconds / 3600 + upfront × seconds / term),
///   in the site currency, converted at the FX rate of `h`'s day;
/// - each allocation `U` of a model costs `U × K / C` (its used cost), computed
///   with one rounding at 10⁻¹⁸, so a fully used pool-hour costs exactly `K`;
/// - idle cost = `K − Σ used cost`, exactly, so used + idle = K to the unit.
///
/// Over the period, each pool's idle cost is shared among the usage in that
/// pool in proportion to used GPU-hours (fully loaded cost), with an exact
/// split; a pool nobody used leaves its cost stranded. Allocating more GPUs
/// than a pool-hour has is an error naming the pool and hour.
public struct CostEngine: Sendable {
    public let period: CostPeriod
    public let sites: [String: Site]
    public let fx: FXTable

    public init(period: CostPeriod, sites: [Site], fx: FXTable) {
        self.period = period
        self.sites = Dictionary(sites.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.fx = fx
    }

    static let secondsPerHour = ExactDecimal(3600)

    public func compute(purchases: [CapacityPurchase], allocations: some Sequence<Allocation>) throws -> CostLedger {
        let hours = period.hourCount
        var state = PoolHourState(hours: hours)

        // 1. Capacity and cost per pool-hour, from the purchases.
        for purchase in purchases {
            guard sites[purchase.pool.site] != nil else {
                throw CostError(.unknownPool, "purchase \(purchase.id) is for unknown site '\(purchase.pool.site)'")
            }
            let p = state.index(of: purchase.pool)
            try accrue(purchase, pool: p, into: &state)
        }

        // 2. Convert each pool-hour's cost at its day's FX rate.
        for (p, pool) in state.pools.enumerated() {
            let currency = sites[pool.site]!.currency
            var dayRate: (day: CivilDate, rate: ExactDecimal)?
            for h in 0..<hours {
                let i = p * hours + h
                guard !state.cost[i].isZero else { continue }  // nothing to convert (rate stays 0)
                let day = period.hourStart(h).date
                if dayRate?.day != day { dayRate = (day, try fx.rate(currency, on: day)) }
                state.cost[i] = try state.cost[i].multiplied(by: dayRate!.rate, rounding: .halfEven)
            }
        }

        // 3. Used GPU-hours and used cost per allocation.
        var usageIndex: [UsageKey: Int] = [:]
        var usageKeys: [UsageKey] = []
        var usageFigures: [CostLedger.UsageFigures] = []
        var models: [String: Int] = [:]
        var modelNames: [String] = []
        for allocation in allocations {
            guard let h = period.hourIndex(allocation.hour) else { continue }
            guard sites[allocation.pool.site] != nil else {
                throw CostError(.unknownPool, "allocation at \(allocation.hour) is for unknown site '\(allocation.pool.site)'")
            }
            let p = state.index(of: allocation.pool)
            let i = p * hours + h
            let used = allocation.gpusUsed
            // Without capacity the hour is over-allocated: checked in step 4.
            let usedCost = state.capacity[i] > .zero
                ? try used.multiplied(by: state.cost[i], dividedBy: state.capacity[i], rounding: .halfEven) : .zero
            state.used[i] = try state.used[i] + used
            state.usedCost[i] = try state.usedCost[i] + usedCost

            let m: Int
            if let known = models[allocation.model] {
                m = known
            } else {
                m = modelNames.count
                models[allocation.model] = m
                modelNames.append(allocation.model)
            }
            let key = UsageKey(pool: p, day: h / 24 + dayOffset, model: m)
            let u: Int
            if let known = usageIndex[key] {
                u = known
            } else {
                u = usageFigures.count
                usageIndex[key] = u
                usageKeys.append(key)
                usageFigures.append(CostLedger.UsageFigures())
            }
            usageFigures[u].usedGPUHours = try usageFigures[u].usedGPUHours + used
            usageFigures[u].usedCost = try usageFigures[u].usedCost + usedCost
            if let tokens = allocation.tokens { usageFigures[u].tokens = usageFigures[u].tokens + tokens }
        }

        // 4. No pool-hour may allocate more than it has.
        try state.checkCapacity(period: period)

        // 5. Pool-days, and each pool's idle over the period.
        var poolDays: [CostLedger.PoolDay: CostLedger.PoolDayFigures] = [:]
        var poolIdle = [ExactDecimal](repeating: .zero, count: state.pools.count)
        var poolUsed = [ExactDecimal](repeating: .zero, count: state.pools.count)
        for (p, pool) in state.pools.enumerated() {
            var figures = CostLedger.PoolDayFigures()
            var currentDay: CivilDate?
            for h in 0..<hours {
                let day = period.hourStart(h).date
                if day != currentDay {
                    if let currentDay { poolDays[CostLedger.PoolDay(pool: pool, day: currentDay)] = figures }
                    figures = CostLedger.PoolDayFigures()
                    currentDay = day
                }
                let i = p * hours + h
                figures.capacityGPUHours = try figures.capacityGPUHours + state.capacity[i]
                figures.spotGPUHours = try figures.spotGPUHours + state.spotCapacity[i]
                figures.usedGPUHours = try figures.usedGPUHours + state.used[i]
                figures.purchaseCost = try figures.purchaseCost + state.cost[i]
                figures.usedCost = try figures.usedCost + state.usedCost[i]
                let idle = try state.cost[i] - state.usedCost[i]
                figures.idleCost = try figures.idleCost + idle
                poolIdle[p] = try poolIdle[p] + idle
                poolUsed[p] = try poolUsed[p] + state.used[i]
            }
            if let currentDay { poolDays[CostLedger.PoolDay(pool: pool, day: currentDay)] = figures }
        }

        // 6. Fully loaded: share each used pool's idle by used GPU-hours; else stranded.
        var usageByPool = [[Int]](repeating: [], count: state.pools.count)
        for (u, key) in usageKeys.enumerated() { usageByPool[key.pool].append(u) }
        for (p, pool) in state.pools.enumerated() {
            let entries = usageByPool[p]
            if poolUsed[p] > .zero {
                let shares = try poolIdle[p].distributed(proportionalTo: entries.map { usageFigures[$0].usedGPUHours })
                for (u, share) in zip(entries, shares) {
                    usageFigures[u].fullyLoadedCost = try usageFigures[u].usedCost + share
                }
            } else {
                for (key, figures) in poolDays where key.pool == pool {
                    poolDays[key]!.strandedCost = figures.idleCost
                }
            }
        }

        var usage: [CostLedger.Usage: CostLedger.UsageFigures] = [:]
        usage.reserveCapacity(usageKeys.count)
        for (u, key) in usageKeys.enumerated() {
            let day = CivilDate(daysSinceEpoch: key.day)
            usage[CostLedger.Usage(pool: state.pools[key.pool], day: day, model: modelNames[key.model])] = usageFigures[u]
        }
        return CostLedger(
            period: period, reportingCurrency: fx.reportingCurrency, sites: sites, poolDays: poolDays, usage: usage)
    }

    /// Days since the epoch of the period's first hour; hour h is on day h/24 + this.
    private var dayOffset: Int { period.from.date.daysSinceEpoch }

    private func accrue(_ purchase: CapacityPurchase, pool p: Int, into state: inout PoolHourState) throws {
        let from = max(purchase.start, period.from)
        let to = min(purchase.effectiveEnd, period.to)
        guard from < to else { return }
        let hours = period.hourCount
        let first = period.hourIndex(from)!
        let last = period.hourIndex(to.adding(microseconds: -1))!
        let gpus = ExactDecimal(purchase.gpuCount)
        let hourlyCost = try gpus * purchase.pricePerGPUHour
        let termSeconds = ExactDecimal(Int(purchase.activeSeconds(from: purchase.start, to: purchase.end)))
        let hasUpfront = purchase.kind == .reserved && purchase.upfrontFee > .zero
        let upfrontPerHour = hasUpfront
            ? try purchase.upfrontFee.multiplied(by: Self.secondsPerHour, dividedBy: termSeconds, rounding: .halfEven) : .zero
        for h in first...last {
            let i = p * hours + h
            let start = period.hourStart(h)
            let seconds = purchase.activeSeconds(from: start, to: start.adding(microseconds: UTCTimestamp.microsecondsPerHour))
            let gpuHours: ExactDecimal
            var cost: ExactDecimal
            if seconds == 3600 {
                gpuHours = gpus
                cost = try hourlyCost + upfrontPerHour
            } else {
                let s = ExactDecimal(Int(seconds))
                gpuHours = try gpus.multiplied(by: s, dividedBy: Self.secondsPerHour, rounding: .halfEven)
                cost = try hourlyCost.multiplied(by: s, dividedBy: Self.secondsPerHour, rounding: .halfEven)
                if hasUpfront {
                    cost = try cost + purchase.upfrontFee.multiplied(by: s, dividedBy: termSeconds, rounding: .halfEven)
                }
            }
            state.capacity[i] = try state.capacity[i] + gpuHours
            if purchase.kind.isSpotLike { state.spotCapacity[i] = try state.spotCapacity[i] + gpuHours }
            state.cost[i] = try state.cost[i] + cost
        }
    }
}

/// Dense per-pool, per-hour arrays (index = pool × hours + hour).
private struct PoolHourState {
    let hours: Int
    var pools: [Pool] = []
    var poolIndex: [Pool: Int] = [:]
    var capacity: [ExactDecimal] = []
    var spotCapacity: [ExactDecimal] = []
    /// Site currency until converted, then reporting currency.
    var cost: [ExactDecimal] = []
    var used: [ExactDecimal] = []
    var usedCost: [ExactDecimal] = []

    init(hours: Int) {
        self.hours = hours
    }

    mutating func index(of pool: Pool) -> Int {
        if let p = poolIndex[pool] { return p }
        let p = pools.count
        pools.append(pool)
        poolIndex[pool] = p
        let zeros = [ExactDecimal](repeating: .zero, count: hours)
        capacity += zeros
        spotCapacity += zeros
        cost += zeros
        used += zeros
        usedCost += zeros
        return p
    }

    /// The first over-allocated pool-hour (by pool, then hour) is an error.
    func checkCapacity(period: CostPeriod) throws {
        var over: [(Pool, Int)] = []
        for (p, pool) in pools.enumerated() {
            for h in 0..<hours where used[p * hours + h] > capacity[p * hours + h] {
                over.append((pool, h))
            }
        }
        guard let (pool, h) = over.min(by: { ($0.0, $0.1) < ($1.0, $1.1) }) else { return }
        let i = poolIndex[pool]! * hours + h
        let more = over.count > 1 ? " (and \(over.count - 1) more over-allocated pool-hours)" : ""
        throw CostError(
            .overAllocated,
            "pool \(pool) at \(period.hourStart(h)) allocates \(used[i]) GPU-hours but has capacity \(capacity[i])\(more)")
    }
}

private struct UsageKey: Hashable {
    let pool: Int
    let day: Int
    let model: Int
}
