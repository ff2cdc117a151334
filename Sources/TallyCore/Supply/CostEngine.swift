/// Computes what capacity cost and where it went (SPEC §3). Pure: it is fed
/// sites, purchases, FX rates and usage, and returns a ``CostLedger``.
///
/// Per pool and hour `h` of the period:
/// - capacity `C` = Σ GPUs × active seconds / 3600 over the purchases active in `h`,
///   kept as whole GPU-seconds until a figure is read, so partial hours add up
///   exactly (3 s is 0.000833… GPU-hours: rounded per purchase and hour, sums
///   drifted by 10⁻¹⁸ units and a half-cent figure printed a cent low);
/// - cost `K` = Σ (GPUs × price × seconds / 3600 + upfront × seconds / term),
///   in the site currency, converted at the FX rate of `h`'s day; kept as
///   `K × 3600` (price × GPU-seconds, exact) and divided by 3600 once per
///   pool, since partial hours divided one by one drifted (1,602 GPU-seconds
///   at 1.00 cost 0.444999999999999956 instead of 0.445).
///
/// Hours with equal `C` and `K` form slots (see ``CapacityPlan``). In a slot,
/// a model that used `U` GPU-hours costs `U × K / C` (its used cost, one
/// rounding at 10⁻¹⁸), and the idle cost is what is left of the pool's cost,
/// exactly: used + idle = purchase cost to the last unit.
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
    ///
    /// Cost is kept as a numerator over 3600: price × GPU-seconds, exact
    /// (prices have at most 6 decimals, seconds are integers), converted at
    /// the FX rate of the hour's day (exact for rates of up to 12 decimals).
    /// Dividing each partial hour by 3600 on its own drifted: 1,602
    /// GPU-seconds at 1.00 cost 0.444999999999999956, not 0.445.
    public func plan(purchases: [CapacityPurchase]) throws -> CapacityPlan {
        let hours = period.hourCount
        var pools: [Pool] = []
        var poolIndex: [Pool: Int] = [:]
        var capacity: [Int64] = []  // GPU-seconds
        var spot: [Int64] = []
        var priceSeconds: [ExactDecimal] = []  // Σ GPUs × price × seconds, site currency
        var upfront: [ExactDecimal] = []  // upfront × seconds × 3600 / term, reporting currency
        var poolUpfront: [ExactDecimal] = []  // the same per pool, one rounding per contract
        var rates = DayRates(engine: self)
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
                priceSeconds += [ExactDecimal](repeating: .zero, count: hours)
                upfront += [ExactDecimal](repeating: .zero, count: hours)
                poolUpfront.append(.zero)
            }
            try accrue(
                purchase, base: p * hours, capacity: &capacity, spot: &spot, priceSeconds: &priceSeconds, upfront: &upfront,
                poolUpfront: &poolUpfront[p], rates: &rates)
        }

        // Convert each pool-hour's cost at its day's FX rate, then cut slots.
        var slots: [CapacityPlan.Slot] = []
        var slotOfHour = [Int32](repeating: 0, count: pools.count * hours)
        var numerators = poolUpfront
        var cost = upfront
        for (p, pool) in pools.enumerated() {
            let currency = sites[pool.site]!.currency
            var start = 0
            for h in 0..<hours {
                let i = p * hours + h
                if !priceSeconds[i].isZero {
                    let converted = currency == fx.reportingCurrency
                        ? priceSeconds[i]
                        : try priceSeconds[i].multiplied(by: rates.rate(currency, dayNumber: period.dayNumber(ofHour: h)), rounding: .towardZero)
                    cost[i] = try cost[i] + converted
                    numerators[p] = try numerators[p] + converted
                }
                let newDay = h > 0 && period.dayNumber(ofHour: h) != period.dayNumber(ofHour: h - 1)
                if h > 0 && (newDay || capacity[i] != capacity[i - 1] || cost[i] != cost[i - 1] || spot[i] != spot[i - 1]) {
                    let j = p * hours + start
                    slots.append(.init(pool: p, startHour: start, endHour: h, capacityGPUSeconds: capacity[j], spotGPUSeconds: spot[j],
                                       hourCostTimes3600: cost[j]))
                    start = h
                }
                slotOfHour[i] = Int32(slots.count)
            }
            let j = p * hours + start
            slots.append(.init(pool: p, startHour: start, endHour: hours, capacityGPUSeconds: capacity[j], spotGPUSeconds: spot[j],
                               hourCostTimes3600: cost[j]))
        }
        return CapacityPlan(
            period: period, reportingCurrency: fx.reportingCurrency, sites: sites, pools: pools, slots: slots,
            poolIndex: poolIndex, slotOfHour: slotOfHour, purchaseCostTimes3600: numerators)
    }

    /// Adds one purchase's GPU-seconds and cost numerators to its pool's hours.
    ///
    /// The upfront fee is `fee × seconds / term`, multiplied before dividing:
    /// per hour for the slots' cost rate (rounded toward zero at 10⁻¹⁸ of
    /// the ×3600 figure, so no hour costs more than it exactly does), and once
    /// over the whole period for the pool's purchase cost.
    private func accrue(
        _ purchase: CapacityPurchase, base: Int, capacity: inout [Int64], spot: inout [Int64],
        priceSeconds: inout [ExactDecimal], upfront: inout [ExactDecimal], poolUpfront: inout ExactDecimal,
        rates: inout DayRates
    ) throws {
        let from = max(purchase.start, period.from)
        let to = min(purchase.effectiveEnd, period.to)
        guard from < to else { return }
        let first = period.hourIndex(from)!
        let last = period.hourIndex(to.adding(microseconds: -1))!
        let perGPUSecond = try ExactDecimal(purchase.gpuCount) * purchase.pricePerGPUHour
        let fullHour = try perGPUSecond * Self.secondsPerHour
        let termSeconds = ExactDecimal(Int(purchase.activeSeconds(from: purchase.start, to: purchase.end)))
        let hasUpfront = purchase.kind == .reserved && purchase.upfrontFee > .zero
        let currency = sites[purchase.pool.site]!.currency
        // Σ seconds × FX rate over the period, exact; and the last full hour's upfront, by rate.
        var weightedSeconds = ExactDecimal.zero
        var fullHourUpfront: (rate: ExactDecimal, weighted: ExactDecimal, value: ExactDecimal)?
        for h in first...last {
            let i = base + h
            let start = period.hourStart(h)
            let seconds = purchase.activeSeconds(from: start, to: start.adding(microseconds: UTCTimestamp.microsecondsPerHour))
            let gpuSeconds = Int64(purchase.gpuCount) * seconds
            capacity[i] += gpuSeconds
            if purchase.kind.isSpotLike { spot[i] += gpuSeconds }
            let hourPrice = seconds == 3600 ? fullHour : try perGPUSecond * ExactDecimal(Int(seconds))
            priceSeconds[i] = try priceSeconds[i] + hourPrice
            guard hasUpfront else { continue }
            let rate = currency == fx.reportingCurrency ? .one : try rates.rate(currency, dayNumber: period.dayNumber(ofHour: h))
            let hourUpfront: ExactDecimal
            let weighted: ExactDecimal
            if seconds == 3600, let cached = fullHourUpfront, cached.rate == rate {
                (weighted, hourUpfront) = (cached.weighted, cached.value)
            } else {
                weighted = try ExactDecimal(Int(seconds)) * rate
                hourUpfront = try purchase.upfrontFee.multiplied(
                    by: weighted * Self.secondsPerHour, dividedBy: termSeconds, rounding: .towardZero)
                if seconds == 3600 { fullHourUpfront = (rate, weighted, hourUpfront) }
            }
            weightedSeconds = try weightedSeconds + weighted
            upfront[i] = try upfront[i] + hourUpfront
        }
        if hasUpfront {
            poolUpfront = try poolUpfront + purchase.upfrontFee.multiplied(
                by: weightedSeconds * Self.secondsPerHour, dividedBy: termSeconds, rounding: .towardZero)
        }
    }
}

/// FX rates by day of the period, looked up once per currency and day.
private struct DayRates {
    let engine: CostEngine
    private var cache: [Currency: [Int: ExactDecimal]] = [:]
    private var last: (currency: Currency, day: Int, rate: ExactDecimal)?

    init(engine: CostEngine) { self.engine = engine }

    mutating func rate(_ currency: Currency, dayNumber: Int) throws -> ExactDecimal {
        if let last, last.day == dayNumber, last.currency == currency { return last.rate }
        let rate: ExactDecimal
        if let known = cache[currency]?[dayNumber] {
            rate = known
        } else {
            rate = try engine.fx.rate(currency, on: CivilDate(daysSinceEpoch: dayNumber))
            cache[currency, default: [:]][dayNumber] = rate
        }
        last = (currency, dayNumber, rate)
        return rate
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
