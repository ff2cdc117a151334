#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one place Tally reads the time of day.
///
/// Dates that finance relies on (issue and due dates, quote validity, the
/// default `--as-of`, the demo's month) are inputs, not accidents of the
/// calendar: tests and clock-travel runs set `TALLY_NOW` to an ISO 8601 UTC
/// instant and Tally behaves as if it were that instant. The set clock does
/// not tick, so a run at a set instant is reproducible.
///
/// Durations (how long an import took) use `ContinuousClock`, not this clock:
/// they are measurements, not dates.
public struct TallyClock: Sendable, Hashable {
    /// The environment variable that sets the clock.
    public static let environmentVariable = "TALLY_NOW"

    /// `nil`: the system's real-time clock.
    public let fixedInstant: UTCTimestamp?

    /// The system's real-time clock.
    public static let system = TallyClock(fixedInstant: nil)

    /// A clock stopped at `instant`.
    public static func fixed(at instant: UTCTimestamp) -> TallyClock { TallyClock(fixedInstant: instant) }

    private init(fixedInstant: UTCTimestamp?) { self.fixedInstant = fixedInstant }

    /// The clock `TALLY_NOW` sets: the system clock when the value is absent
    /// or empty, else the instant it names (with a zone: `2029-12-31T23:30:00Z`).
    public init(environmentValue value: String?) throws(TimeError) {
        guard let value, !value.isEmpty else {
            self = .system
            return
        }
        do {
            self = .fixed(at: try UTCTimestamp(parsing: value))
        } catch {
            throw TimeError("\(Self.environmentVariable)='\(value)' is not an ISO 8601 instant with a zone (e.g. 2029-12-31T23:30:00Z): \(error)")
        }
    }

    /// The process's clock, from `TALLY_NOW` as it was when first read. An
    /// invalid value reads as the system clock here; entry points call
    /// ``validateEnvironment()`` first so that such a value is refused, not ignored.
    public static let current: TallyClock = (try? TallyClock(environmentValue: environmentValue())) ?? .system

    /// Throws when `TALLY_NOW` is set but is not a valid instant.
    public static func validateEnvironment() throws(TimeError) {
        _ = try TallyClock(environmentValue: environmentValue())
    }

    private static func environmentValue() -> String? {
        getenv(environmentVariable).map { String(cString: $0) }
    }

    /// Now, in whole microseconds.
    public var now: UTCTimestamp {
        if let fixedInstant { return fixedInstant }
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UTCTimestamp(microsecondsSinceEpoch: Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000)
    }

    /// Today, as a UTC calendar day.
    public var today: CivilDate { now.date }

    /// The month today falls in.
    public var currentMonth: BillingMonth { BillingMonth(containing: today) }

    /// The last whole month before today's: the month a monthly-in-arrears
    /// biller works on by default.
    public var previousMonth: BillingMonth { BillingMonth(containing: currentMonth.firstDay.adding(days: -1)) }

    /// The first whole hour strictly after now (13:00 at 12:00:00 and at
    /// 12:59:59): when a change decided now can take effect without touching
    /// usage that may already have been served this hour.
    public var nextWholeHour: UTCTimestamp {
        now.startOfHour.adding(microseconds: UTCTimestamp.microsecondsPerHour)
    }
}
