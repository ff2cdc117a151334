import TallyCore

/// The instant database tests ingest usage at, passed as `now:`: after every
/// fixture event (2026-10 … 2026-12) and within the accepted window of all of
/// them, so no test depends on today's date (`make test` also runs the suite
/// with TALLY_NOW in 2028 and 2029).
public enum TestClock {
    public static let now = UTCTimestamp(date: CivilDate(daysSinceEpoch: 20_833), hour: 12)  // 2027-01-15T12:00:00Z
}
