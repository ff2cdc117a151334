/// A half-open period `[from, to)` on whole UTC hours, the unit costs are
/// computed in (allocations are hourly).
public struct CostPeriod: Hashable, Sendable, CustomStringConvertible {
    public let from: UTCTimestamp
    public let to: UTCTimestamp

    public init(from: UTCTimestamp, to: UTCTimestamp) throws(CostError) {
        guard from < to else { throw CostError(.invalidPeriod, "period [\(from), \(to)) is empty") }
        guard from.startOfHour == from, to.startOfHour == to else {
            throw CostError(.invalidPeriod, "period [\(from), \(to)) must start and end on whole UTC hours")
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
