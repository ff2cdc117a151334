/// GPUs of a pool that one model used during one hour (the serving fleet's
/// record), with the tokens it served there when known.
public struct Allocation: Hashable, Sendable {
    public let hour: UTCTimestamp
    public let pool: Pool
    public let model: String
    /// Average GPUs in use over the hour, so also GPU-hours.
    public let gpusUsed: ExactDecimal
    public let tokens: TokenCounts?

    public init(hour: UTCTimestamp, pool: Pool, model: String, gpusUsed: ExactDecimal, tokens: TokenCounts? = nil) {
        self.hour = hour
        self.pool = pool
        self.model = model
        self.gpusUsed = gpusUsed
        self.tokens = tokens
    }
}
