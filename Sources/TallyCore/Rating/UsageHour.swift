/// A customer's tokens of one model in one hour (the hourly rollup).
public struct UsageHour: Hashable, Sendable {
    public let hour: UTCTimestamp
    public let model: String
    public let tokens: TokenCounts

    public init(hour: UTCTimestamp, model: String, tokens: TokenCounts) {
        self.hour = hour
        self.model = model
        self.tokens = tokens
    }
}
