/// What each pool offers and costs, hour by hour, grouped into slots.
///
/// A **slot** is a maximal run of hours of one pool, within one UTC day, in
/// which capacity `C`, spot capacity and cost `K` (reporting currency) are the
/// same every hour. Within a slot the cost rate `K/C` is constant, so a
/// model's used cost over the slot, `Σ_h U_h × K/C`, equals
/// `(Σ_h U_h) × K/C` exactly: usage can be summed per slot before it reaches
/// the engine (by the database, in one GROUP BY) without changing any figure.
///
/// Built by ``CostEngine/plan(purchases:)``.
public struct CapacityPlan: Sendable {
    public struct Slot: Sendable, Equatable {
        public let pool: Int
        public let startHour: Int
        public let endHour: Int
        /// Capacity of each hour of the slot, in GPU-seconds (exact).
        public let capacityGPUSeconds: Int64
        /// The part of it from spot and on-demand purchases.
        public let spotGPUSeconds: Int64
        /// Cost of each hour of the slot times 3600 (Σ price × GPU-seconds,
        /// plus the upfront fee's part), in the reporting currency: exact, so
        /// partial hours add up without drift; divided when a figure is read.
        public let hourCostTimes3600: ExactDecimal

        public var hours: Int { endHour - startHour }
        /// GPUs available in each hour (GPU-hours per hour).
        public var capacityPerHour: ExactDecimal { .gpuHours(seconds: capacityGPUSeconds) }

        /// Whether `gpus` in one hour is more than the slot's capacity (compared exactly, in GPU-seconds).
        func isExceeded(by gpus: ExactDecimal) throws -> Bool {
            try gpus * CostEngine.secondsPerHour > ExactDecimal(Int(capacityGPUSeconds))
        }
    }

    public let period: CostPeriod
    public let reportingCurrency: Currency
    public let sites: [String: Site]
    public let pools: [Pool]
    /// By pool, then start hour.
    public let slots: [Slot]
    let poolIndex: [Pool: Int]
    /// For each pool, the slot index of each hour (dense: pool × hours).
    let slotOfHour: [Int32]
    /// For each pool, its purchase cost over the period times 3600: the
    /// exact Σ price × GPU-seconds (FX converted) plus each contract's upfront
    /// part, rounded once per contract. Divided by 3600 once, in ``compute(usage:hourlyTotals:)``.
    let purchaseCostTimes3600: [ExactDecimal]

    /// Slots that do not cover a whole day: their hours need mapping to the
    /// slot start (whole-day slots start at midnight UTC).
    public var partialDaySlots: [Slot] { slots.filter { $0.hours < 24 } }

    public func slotStart(_ slot: Slot) -> UTCTimestamp { period.hourStart(slot.startHour) }

    /// The slot containing `hour` of `pool`, if the pool has capacity data.
    func slot(of pool: Pool, at hour: UTCTimestamp) -> Int? {
        guard let p = poolIndex[pool], let h = period.hourIndex(hour) else { return nil }
        return Int(slotOfHour[p * period.hourCount + h])
    }
}

extension CapacityPlan {
    /// Pool-days cut into more than one slot.
    public var partialPoolDays: [(pool: Pool, day: CivilDate)] {
        var seen = Set<PoolDayIndex>()
        var result: [(Pool, CivilDate)] = []
        for slot in partialDaySlots {
            let day = period.hourStart(slot.startHour).date
            if seen.insert(PoolDayIndex(pool: slot.pool, day: day.daysSinceEpoch)).inserted {
                result.append((pools[slot.pool], day))
            }
        }
        return result
    }

    /// Splits one model's day in a pool — GPUs used per hour of day (0-23,
    /// UTC), ascending — into usage per slot of that day; hours outside the
    /// period are left out. The day's tokens go with its first slot (token
    /// figures are kept per day); for a day the period covers only in part,
    /// they are the whole day's (tokens are not kept per hour).
    public func slotUsage(
        pool: Pool, day: CivilDate, model: String, hours: [Int], gpus: [ExactDecimal], tokens: TokenCounts
    ) throws -> [SlotUsage] {
        precondition(hours.count == gpus.count, "one GPU figure per hour")
        var result: [SlotUsage] = []
        var current: (start: UTCTimestamp, used: ExactDecimal, peak: ExactDecimal)?
        var tokensLeft: TokenCounts? = tokens
        let poolIndex = self.poolIndex[pool]
        let dayStartHour = Int(
            (day.startOfDay.microsecondsSinceEpoch - period.from.microsecondsSinceEpoch) / UTCTimestamp.microsecondsPerHour)
        func flush() {
            guard let c = current else { return }
            result.append(SlotUsage(pool: pool, slotStart: c.start, model: model, gpuHours: c.used, peakGPUs: c.peak,
                                    tokens: tokensLeft ?? .zero))
            tokensLeft = nil
        }
        for (hourOfDay, used) in zip(hours, gpus) {
            let h = dayStartHour + hourOfDay
            guard h >= 0, h < period.hourCount else { continue }  // an edge day's hours outside the period
            let start: UTCTimestamp
            if let p = poolIndex {
                start = period.hourStart(slots[Int(slotOfHour[p * period.hourCount + h])].startHour)
            } else {
                start = period.hourStart(h)
            }
            if current?.start == start {
                current!.used = try current!.used + used
                current!.peak = max(current!.peak, used)
            } else {
                flush()
                current = (start, used, used)
            }
        }
        flush()
        return result
    }
}

private struct PoolDayIndex: Hashable {
    let pool: Int
    let day: Int
}
