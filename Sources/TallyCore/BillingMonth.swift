/// A calendar month in UTC, the billing period (`2026-11`).
public struct BillingMonth: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int

    public init(parsing text: String) throws(TimeError) {
        let parts = text.split(separator: "-")
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let y = Int(parts[0]), let m = Int(parts[1]),
            (1...12).contains(m), (1...9999).contains(y)
        else { throw TimeError("'\(text)' is not a month (YYYY-MM)") }
        year = y
        month = m
    }

    public init(containing date: CivilDate) {
        year = date.year
        month = date.month
    }

    /// Total for any month (also one `containing` a day outside years 1–9999,
    /// which day arithmetic can reach): no input can make it trap.
    public var firstDay: CivilDate { CivilDate(unvalidatedYear: year, month: month, day: 1) }
    public var lastDay: CivilDate { next.firstDay.adding(days: -1) }
    public var next: BillingMonth { BillingMonth(containing: firstDay.adding(days: CivilDate.daysIn(year: year, month: month))) }
    public var start: UTCTimestamp { firstDay.startOfDay }
    public var end: UTCTimestamp { next.start }

    public static func < (lhs: BillingMonth, rhs: BillingMonth) -> Bool { (lhs.year, lhs.month) < (rhs.year, rhs.month) }

    public var description: String { CivilDate.pad(year, 4) + "-" + CivilDate.pad(month, 2) }
}
