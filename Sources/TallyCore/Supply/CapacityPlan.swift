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
        public let capacityPerHour: ExactDecimal
        public let spotPerHour: ExactDecimal
        public let costPerHour: ExactDecimal

        public var hours: Int { endHour - startHour }
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
