/// Computes what capacity cost and where it went (SPEC §3). Pure: it is fed
/// sites, purchases, FX rates and usage, and returns a ``CostLedger``.
///
/// Per pool and hour `h` of the period:
/// - capacity `C` = Σ GPUs × active seconds / 3600 over the purchases active in `h`,
///   kept as whole GPU-seconds until a figure is read, so partial hours add up
///   exactly (3 s is 0.000833… GPU-hours: rounded per purchase and hour, sums
///   drifted by 10⁻¹⁸ units and a half-cent figure printed a cent low);
/// - cost `K` = Σ (GPUs × price × seconds / 3600 + upfront × seconds / term),
///   in the site currency, converted at the FX rate of `h`'s day.
///
/// Hours with equal `C` and `K` form slots (see ``CapacityPlan``). In a slot,
/// a model that used `U` GPU-hours costs `U × K / C` (its used cost, one
/// rounding at 10⁻¹⁸, so a fully used pool costs exactly `K`), and the idle
/// cost is what is left of the slot's cost, exactly: used + idle = purchase
/// cost to the last unit.
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

    /// Hourly allocations straight in: plans, aggregates per slot, checks every hour exactly.
    public func compute(purchases: [CapacityPurchase], allocations: some Sequence<Allocation>) throws -> CostLedger {
        try plan(purchases: purchases).compute(allocations: allocations)
    }

    /// Capacity and cost per pool-hour, grouped into slots.
    public func plan(purchases: [CapacityPurchase]) throws -> CapacityPlan {
        let hours = period.hourCount
        var pools: [Pool] = []
        var poolIndex: [Pool: Int] = [:]
        var capacity: [Int64] = []  // GPU-seconds
        var spot: [Int64] = []
        var cost: [ExactDecimal] = []
        for purchase in purchases.sorted(by: { ($0.pool, $0.id) < ($1.pool, $1.id) }) {
            guard sites[purchase.pool.site] != nil else {
                throw CostError(.unknownPool, "purchase \(purchase.id) is for unknown site '\(purchase.pool.site)'")
            }
            let p: Int
            if let known = poolIndex[purchase.pool] {
                p = known
            } else {
                p = pools.count
                pools.append(purchase.pool)
                poolIndex[purchase.pool] = p
                capacity += [Int64](repeating: 0, count: hours)
                spot += [Int64](repeating: 0, count: hours)
                cost += [ExactDecimal](repeating: .zero, count: hours)
            }
            try accrue(purchase, base: p * hours, capacity: &capacity, spot: &spot, cost: &cost)
        }

        // Convert each pool-hour's cost at its day's FX rate, then cut slots.
        var slots: [CapacityPlan.Slot] = []
        var slotOfHour = [Int32](repeating: 0, count: pools.count * hours)
        for (p, pool) in pools.enumerated() {
            let currency = sites[pool.site]!.currency
            var dayRate: (day: CivilDate, rate: ExactDecimal)?
            var start = 0
            for h in 0..<hours {
                let i = p * hours + h
                if !cost[i].isZero {
                    let dayNumber = period.dayNumber(ofHour: h)
                    if dayRate?.day.daysSinceEpoch != dayNumber {
                        let day = CivilDate(daysSinceEpoch: dayNumber)
                        dayRate = (day, try fx.rate(currency, on: day))
                    }
                    cost[i] = try cost[i].multiplied(by: dayRate!.rate, rounding: .halfEven)
                }
                let newDay = h > 0 && period.dayNumber(ofHour: h) != period.dayNumber(ofHour: h - 1)
                if h > 0 && (newDay || capacity[i] != capacity[i - 1] || cost[i] != cost[i - 1] || spot[i] != spot[i - 1]) {
                    let j = p * hours + start
                    slots.append(.init(pool: p, startHour: start, endHour: h, capacityGPUSeconds: capacity[j], spotGPUSeconds: spot[j],
                                       costPerHour: cost[j]))
                    start = h
                }
                slotOfHour[i] = Int32(slots.count)
            }
            let j = p * hours + start
            slots.append(.init(pool: p, startHour: start, endHour: hours, capacityGPUSeconds: capacity[j], spotGPUSeconds: spot[j],
                               costPerHour: cost[j]))
        }
        return CapacityPlan(
            period: period, reportingCurrency: fx.reportingCurrency, sites: sites, pools: pools, slots: slots,
            poolIndex: poolIndex, slotOfHour: slotOfHour)
    }

    private func accrue(
        _ purchase: CapacityPurchase, base: Int, capacity: inout [Int64], spot: inout [Int64],
        cost: inout [ExactDecimal]
    ) throws {
        let from = max(purchase.start, period.from)
        let to = min(purchase.effectiveEnd, period.to)
        guard from < to else { return }
        let first = period.hourIndex(from)!
        let last = period.hourIndex(to.adding(microseconds: -1))!
        let gpus = ExactDecimal(purchase.gpuCount)
        let hourlyCost = try gpus * purchase.pricePerGPUHour
        let termSeconds = ExactDecimal(Int(purchase.activeSeconds(from: purchase.start, to: purchase.end)))
        let hasUpfront = purchase.kind == .reserved && purchase.upfrontFee > .zero
        let upfrontPerHour = hasUpfront
            ? try purchase.upfrontFee.multiplied(by: Self.secondsPerHour, dividedBy: termSeconds, rounding: .halfEven) : .zero
        for h in first...last {
            let i = base + h
            let start = period.hourStart(h)
            let seconds = purchase.activeSeconds(from: start, to: start.adding(microseconds: UTCTimestamp.microsecondsPerHour))
            let gpuSeconds = Int64(purchase.gpuCount) * seconds
            var hourCost: ExactDecimal
            if seconds == 3600 {
                hourCost = try hourlyCost + upfrontPerHour
            } else {
                let s = ExactDecimal(Int(seconds))
                hourCost = try hourlyCost.multiplied(by: s, dividedBy: Self.secondsPerHour, rounding: .halfEven)
                if hasUpfront {
                    hourCost = try hourCost + purchase.upfrontFee.multiplied(by: s, dividedBy: termSeconds, rounding: .halfEven)
                }
            }
            capacity[i] += gpuSeconds
            if purchase.kind.isSpotLike { spot[i] += gpuSeconds }
            cost[i] = try cost[i] + hourCost
        }
    }
}

extension ExactDecimal {
    /// GPU-seconds as GPU-hours: `seconds / 3600`, rounded once (half even)
    /// at 10⁻¹⁸. Capacity is summed in whole GPU-seconds and divided only
    /// here, when a figure is read.
    public static func gpuHours(seconds: Int64) -> ExactDecimal {
        let units = Int128(seconds) * unitsPerOne
        var (q, r) = units.quotientAndRemainder(dividingBy: 3600)
        if r < 0 { (q, r) = (q - 1, r + 3600) }  // floor, so the rule below reads the same for both signs
        if 2 * r > 3600 || (2 * r == 3600 && q & 1 == 1) { q += 1 }
        return ExactDecimal(units: q)
    }
}
