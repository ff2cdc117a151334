/// One model's use of one pool during one slot of a ``CapacityPlan``,
/// aggregated (by the database, or from hourly ``Allocation``s).
public struct SlotUsage: Hashable, Sendable {
    public let pool: Pool
    /// The slot's first hour; must be a slot start of the plan.
    public let slotStart: UTCTimestamp
    public let model: String
    /// Σ GPUs used over the slot's hours (GPU-hours).
    public let gpuHours: ExactDecimal
    /// The most GPUs this model used in any one hour of the slot.
    public let peakGPUs: ExactDecimal
    public let tokens: TokenCounts

    public init(pool: Pool, slotStart: UTCTimestamp, model: String, gpuHours: ExactDecimal, peakGPUs: ExactDecimal, tokens: TokenCounts) {
        self.pool = pool
        self.slotStart = slotStart
        self.model = model
        self.gpuHours = gpuHours
        self.peakGPUs = peakGPUs
        self.tokens = tokens
    }
}

/// GPUs of a pool used in one hour by all models together.
public struct PoolHourTotal: Hashable, Sendable {
    public let pool: Pool
    public let hour: UTCTimestamp
    public let gpus: ExactDecimal

    public init(pool: Pool, hour: UTCTimestamp, gpus: ExactDecimal) {
        self.pool = pool
        self.hour = hour
        self.gpus = gpus
    }
}
