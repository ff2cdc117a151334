import TallyCore
import TallyPostgres

/// When a month's raw usage events may leave the database (`tally usage
/// archive`; docs/usage.md "Retention: archive and restore").
///
/// A month M may be archived when every month that still needs its raw
/// events is done with them:
///
/// - **M is finalized as a whole** (in `closed_periods`: `tally invoice
///   finalize --period M` without `--customer`) and none of its invoices is
///   a draft: every invoice of M is issued, and late usage of M goes to a
///   later month (SPEC §4).
/// - **So is every month that bills late usage of M** (a billing month
///   other than M in M's hourly rollup): those invoices are issued too.
/// - **So is every month whose dedupe window reaches M**: M−2 … M+2
///   (``UsageIngester/dedupeWindowMonths``). Their events are checked for
///   duplicates against M's ids; once M is archived, ingest rejects their
///   events as beyond retention instead ("late beyond retention"), which
///   must never hit a month still open. A month archived already counts as
///   done.
/// - **The grace period has passed**: ``gracePeriodDays`` days after the
///   last issue date of the invoices of all those months (a month finalized
///   without invoices counts as issued on the first day after it). Credit
///   notes, disputes and audits of a fresh invoice may want the events; 60
///   days also outlasts the dedupe window (59 days) of an event sent on the
///   last issue day. `--force-grace` archives within the grace period (for
///   a disk that is filling up); every other rule still holds.
///
/// The archiver also requires the month's rollup to match its raw events
/// (`tally usage verify`): the rollup stays forever, and must say what the
/// events that leave said.
public struct UsageRetention {
    /// Days after the last issue date before raw events may be archived.
    public static let gracePeriodDays = 60

    /// Whether a month may be archived today, and why not.
    public struct Decision: Sendable {
        public var month: BillingMonth
        /// Every reason the month may not be archived now; empty when it may.
        public var refusals: [String]
        /// The months that must be done with M's raw events (M included), in order.
        public var months: [BillingMonth]
        /// The last issue date of their invoices (nil when a month is not finalized).
        public var lastIssue: CivilDate?
        /// The first day the grace period allows archiving.
        public var archivableOn: CivilDate?
        /// True when the grace period had not passed and `forceGrace` waived it.
        public var graceWaived: Bool
    }

    let db: PostgresConnection

    public init(_ db: PostgresConnection) {
        self.db = db
    }

    /// Applies the rules above to `month` on `today` (the clock's day).
    /// Does not look at whether the month is archived already or has a
    /// partition (``UsageArchiver`` does).
    public func decide(month: BillingMonth, today: CivilDate, forceGrace: Bool = false) throws -> Decision {
        let neighbours = UsageIngester.dedupeWindow(around: month.firstDay).map(BillingMonth.init(containing:))
        let billing = Set(try db.execute(
            """
            SELECT DISTINCT billing_month FROM usage_hourly
            WHERE hour >= \(month.start) AND hour < \(month.end) AND billing_month <> \(month.firstDay)
            """
        ).map { BillingMonth(containing: try $0.decode(0, as: CivilDate.self)) })
        let months = Set(neighbours).union(billing).sorted()
        let firsts = months.map(\.firstDay)
        let archived = Set(try db.execute("SELECT month FROM archived_usage_months WHERE month = ANY(\(firsts))").map {
            BillingMonth(containing: try $0.decode(0, as: CivilDate.self))
        })
        let closed = Set(try db.execute("SELECT month FROM closed_periods WHERE month = ANY(\(firsts))").map {
            BillingMonth(containing: try $0.decode(0, as: CivilDate.self))
        })
        var drafts: [BillingMonth: Int] = [:]
        for row in try db.execute(
            "SELECT period, count(*)::bigint FROM invoices WHERE period = ANY(\(firsts)) AND status = 'draft' GROUP BY period")
        {
            drafts[BillingMonth(containing: try row.decode(0, as: CivilDate.self))] = try row.decode(1, as: Int.self)
        }
        var issued: [BillingMonth: CivilDate] = [:]
        for row in try db.execute(
            "SELECT period, max(issue_date) FROM invoices WHERE period = ANY(\(firsts)) AND status <> 'draft' GROUP BY period")
        {
            issued[BillingMonth(containing: try row.decode(0, as: CivilDate.self))] = try row.decode(1, as: CivilDate.self)
        }

        var refusals: [String] = []
        var lastIssue: CivilDate?
        var waiting: [BillingMonth] = []
        for k in months where !archived.contains(k) {
            let why: String
            if k == month {
                why = "every invoice of \(month) must be issued"
            } else if billing.contains(k) {
                why = "it bills late usage of \(month)"
            } else {
                why = "its events are checked for duplicates against the ids of \(month) "
                    + "(\(UsageIngester.dedupeWindowMonths) months either side)"
            }
            if !closed.contains(k) {
                refusals.append("\(k) is not finalized as a whole (tally invoice finalize --period \(k)): \(why)")
            }
            if let count = drafts[k] {
                refusals.append("\(k) has \(count) draft invoice(s): \(why)")
            }
            waiting.append(k)
            let day = issued[k] ?? k.next.firstDay
            if lastIssue.map({ day > $0 }) ?? true { lastIssue = day }
        }
        guard refusals.isEmpty else {
            return Decision(month: month, refusals: refusals, months: months, lastIssue: nil, archivableOn: nil, graceWaived: false)
        }
        let archivableOn = lastIssue.map { $0.adding(days: Self.gracePeriodDays) }
        var graceWaived = false
        if let lastIssue, let archivableOn, today < archivableOn {
            if forceGrace {
                graceWaived = true
            } else {
                let span = waiting.count == 1 ? "\(waiting[0])" : "\(waiting[0]) … \(waiting[waiting.count - 1])"
                refusals.append(
                    "\(month) can be archived from \(archivableOn) (today is \(today)): \(Self.gracePeriodDays) days after \(lastIssue), "
                        + "the last issue date of the invoices of \(span), the raw events may still be needed "
                        + "(credit notes, disputes, late re-sends); --force-grace archives sooner")
            }
        }
        return Decision(
            month: month, refusals: refusals, months: months, lastIssue: lastIssue, archivableOn: archivableOn, graceWaived: graceWaived)
    }
}
