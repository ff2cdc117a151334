/// Limits every usage event must respect (NDJSON and CSV alike).
public enum UsageEvent {
    /// More tokens than this in one event is refused as absurd (a request of
    /// 100 million tokens is a bug upstream, not usage).
    public static let maximumTokensPerClass: Int64 = 100_000_000
    /// Ids, customers, models, sites and tags longer than this are refused.
    public static let maximumTextLength = 200
}
