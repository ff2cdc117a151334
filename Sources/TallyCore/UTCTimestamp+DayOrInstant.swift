extension UTCTimestamp {
    /// `2026-11-01` (midnight UTC) or `2026-11-01T06:00:00Z`: how an instant
    /// is given to `--at`, `--from`, `--effective` on the command line and to
    /// the same parameters of the HTTP API (one rule for both).
    public init(parsingDayOrInstant text: some StringProtocol) throws(TimeError) {
        if let date = try? CivilDate(parsing: text) {
            self = date.startOfDay
        } else if let time = try? UTCTimestamp(parsing: text) {
            self = time
        } else {
            throw TimeError("'\(text)' is not a day (YYYY-MM-DD) or a UTC timestamp (YYYY-MM-DDTHH:MM:SSZ)")
        }
    }
}

extension CivilDate {
    /// A day given as `YYYY-MM-DD`, or today (UTC, by `clock`) when none was
    /// given: the date rule of `--date` options and of the API's `date` fields.
    public static func parsing(_ text: String?, orTodayBy clock: TallyClock) throws(TimeError) -> CivilDate {
        guard let text else { return clock.today }
        return try CivilDate(parsing: text)
    }
}
