/// A half-open period `[from, to)` on whole UTC hours, the unit costs are
/// computed in (allocations are hourly).
public struct CostPeriod: Hashable, Sendable, CustomStringConvertible {
    /// The longest period costed at once: a year, leap day included. The
    /// engine holds every pool's hours in memory (about 100 MB a year for 40
    /// sites), so `--from 0001-01-01 --to 9999-12-31` is refused at once
    /// rather than run out of memory after minutes.
    public static let maximumDays = 366

    public let from: UTCTimestamp
    public let to: UTCTimestamp

    public init(from: UTCTimestamp, to: UTCTimestamp) throws(CostError) {
        guard from < to else { throw CostError(.invalidPeriod, "period [\(from), \(to)) is empty") }
        guard from.startOfHour == from, to.startOfHour == to else {
            throw CostError(.invalidPeriod, "period [\(from), \(to)) must start and end on whole UTC hours")
        }
        let length = to.microsecondsSinceEpoch - from.microsecondsSinceEpoch
        guard length <= Int64(Self.maximumDays) * UTCTimestamp.microsecondsPerDay else {
            throw CostError(
                .invalidPeriod,
                "period [\(from), \(to)) spans \((length + UTCTimestamp.microsecondsPerDay - 1) / UTCTimestamp.microsecondsPerDay) days; "
                    + "a cost period is at most \(Self.maximumDays): ask for a year at a time")
        }
        self.from = from
        self.to = to
    }

    /// A whole billing month.
    public init(month: BillingMonth) {
        self.from = month.start
        self.to = month.end
    }

    /// `[from 00:00, to 00:00)` in UTC.
    public init(fromDay: CivilDate, toDay: CivilDate) throws(CostError) {
        try self.init(from: fromDay.startOfDay, to: toDay.startOfDay)
    }

    public var hourCount: Int {
        Int((to.microsecondsSinceEpoch - from.microsecondsSinceEpoch) / UTCTimestamp.microsecondsPerHour)
    }

    /// The index of the hour containing `time`, or nil outside the period.
    public func hourIndex(_ time: UTCTimestamp) -> Int? {
        guard time >= from, time < to else { return nil }
        return Int((time.microsecondsSinceEpoch - from.microsecondsSinceEpoch) / UTCTimestamp.microsecondsPerHour)
    }

    public func hourStart(_ index: Int) -> UTCTimestamp {
        from.adding(microseconds: Int64(index) * UTCTimestamp.microsecondsPerHour)
    }

    /// Days since the epoch of the UTC day containing hour `index`.
    public func dayNumber(ofHour index: Int) -> Int {
        Int(floorDiv(hourStart(index).microsecondsSinceEpoch, UTCTimestamp.microsecondsPerDay))
    }

    public var description: String { "[\(from), \(to))" }
}
