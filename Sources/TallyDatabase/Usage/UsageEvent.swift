import TallyCore

/// Limits every usage event must respect (NDJSON and CSV alike).
public enum UsageEvent {
    /// More tokens than this in one event is refused as absurd (a request of
    /// 100 million tokens is a bug upstream, not usage).
    public static let maximumTokensPerClass: Int64 = 100_000_000
    /// Ids, customers, models, sites and tags longer than this are refused.
    public static let maximumTextLength = 200
    /// How old an event may be when ingested: 400 days covers the open month,
    /// the months a finalized invoice leaves to late usage, and a year of
    /// back-fill; older, it is a wrong clock upstream (1970, 1900), and would
    /// only open partitions that no invoice run bills.
    public static let maximumAgeDays: Int64 = 400
    /// How far ahead of the clock an event may be: producers' clocks drift a
    /// little; usage dated later has not happened yet.
    public static let maximumLeadMinutes: Int64 = 5

    /// The instants an event ingested at `now` may carry (docs/usage.md).
    /// Counted from `now`'s whole second, so that the bounds read plainly.
    public static func window(now: UTCTimestamp) -> ClosedRange<UTCTimestamp> {
        let second = UTCTimestamp.microsecondsPerSecond
        let now = UTCTimestamp(microsecondsSinceEpoch: now.microsecondsSinceEpoch - (now.microsecondsSinceEpoch % second + second) % second)
        return now.adding(microseconds: -maximumAgeDays * UTCTimestamp.microsecondsPerDay)
            ... now.adding(microseconds: maximumLeadMinutes * 60 * UTCTimestamp.microsecondsPerSecond)
    }
}
