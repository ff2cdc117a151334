import TallyCore
import TallyPostgres

/// Recomputes a month's hourly rollup from its raw events and lists every
/// row where the two disagree (`tally usage verify`). Invoices, reports and
/// rating read only the rollup: this is how to prove it still says what the
/// events say (after a crash, a restore, a hand edit, a bug).
public struct UsageVerifier {
    /// Token sums and event count of one rollup group.
    public struct Sums: Sendable, Equatable {
        public var input: Int64
        public var cachedInput: Int64
        public var output: Int64
        public var events: Int64

        public init(input: Int64, cachedInput: Int64, output: Int64, events: Int64) {
            self.input = input
            self.cachedInput = cachedInput
            self.output = output
            self.events = events
        }
    }

    /// One group (customer, hour, model, site, tag, billing month) whose
    /// stored rollup differs from the sums of its raw events. Either side is
    /// nil when the group exists only on the other.
    public struct Difference: Sendable, Equatable {
        public var customer: String
        public var hour: UTCTimestamp
        public var model: String
        public var site: String
        public var tag: String
        public var billingMonth: CivilDate
        /// What `usage_hourly` holds.
        public var rollup: Sums?
        /// What the raw events add up to.
        public var events: Sums?
    }

    let db: PostgresConnection

    public init(_ db: PostgresConnection) {
        self.db = db
    }

    /// The differences for the usage of `period` (hours in the month, late
    /// usage billed later included), sorted by customer, hour, model, site,
    /// tag and billing month. Empty when the rollup is exact. One statement,
    /// so both sides are read from one snapshot. A month whose raw events
    /// are archived is refused (there is nothing to compare the rollup with
    /// until it is restored).
    public func verify(period: BillingMonth) throws -> [Difference] {
        if let row = try db.execute("SELECT location FROM archived_usage_months WHERE month = \(period.firstDay)").first {
            let location = try row.decode(0, as: String.self)
            throw UsageArchiveError(.state, """
                the raw events of \(period) are archived (in \(location)): restore them (tally usage restore --from \(location)) \
                to verify the rollup against them
                """)
        }
        return try db.execute(
            """
            WITH raw AS (
                SELECT customer_id, date_trunc('hour', occurred_at, 'UTC') AS hour, model, site_id, tag, billing_month,
                       sum(input_tokens)::bigint AS i, sum(cached_input_tokens)::bigint AS c, sum(output_tokens)::bigint AS o,
                       count(*)::bigint AS n
                FROM usage_events WHERE month = \(period.firstDay)
                GROUP BY 1, 2, 3, 4, 5, 6
            ), rolled AS (
                SELECT customer_id, hour, model, site_id, tag, billing_month,
                       input_tokens AS i, cached_input_tokens AS c, output_tokens AS o, events AS n
                FROM usage_hourly WHERE hour >= \(period.start) AND hour < \(period.end)
            )
            SELECT coalesce(h.customer_id, r.customer_id) AS customer, coalesce(h.hour, r.hour) AS hour,
                   coalesce(h.model, r.model) AS model, coalesce(h.site_id, r.site_id) AS site, coalesce(h.tag, r.tag) AS tag,
                   coalesce(h.billing_month, r.billing_month) AS billing,
                   h.i, h.c, h.o, h.n, r.i, r.c, r.o, r.n
            FROM rolled h FULL JOIN raw r
              ON h.customer_id = r.customer_id AND h.hour = r.hour AND h.model = r.model AND h.site_id = r.site_id
             AND h.tag = r.tag AND h.billing_month = r.billing_month
            WHERE (h.i, h.c, h.o, h.n) IS DISTINCT FROM (r.i, r.c, r.o, r.n)
            ORDER BY customer, hour, model, site, tag, billing
            """
        ).map { row in
            func sums(_ first: Int) throws -> Sums? {
                guard let events = try row.decode(first + 3, as: Int?.self) else { return nil }
                return Sums(input: Int64(try row.decode(first, as: Int.self)), cachedInput: Int64(try row.decode(first + 1, as: Int.self)),
                            output: Int64(try row.decode(first + 2, as: Int.self)), events: Int64(events))
            }
            return Difference(
                customer: try row.decode(0), hour: try row.decode(1), model: try row.decode(2), site: try row.decode(3),
                tag: try row.decode(4), billingMonth: try row.decode(5), rollup: try sums(6), events: try sums(10))
        }
    }
}
