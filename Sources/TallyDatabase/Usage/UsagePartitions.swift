import TallyCore
import TallyPostgres

/// The monthly partitions of `usage_events` (`usage_events_2026_11`).
///
/// The ingester creates a missing month's partition when its first event
/// arrives; ``ensure(from:ahead:)`` creates the current month's and the next
/// ones ahead of time, so the first events of a month do not wait for DDL
/// (which locks the whole table) at peak: `tally migrate`, every `tally
/// usage ingest` and `tally usage partitions` run it (docs/usage.md).
public struct UsagePartitions {
    /// Months created ahead of the current one by default.
    public static let defaultAhead = 3
    /// Serializes partition creation (the ingester takes it too).
    public static let lock = "tally.usage_partitions"

    /// The months whose partition exists, by their first day (partitions are
    /// named `usage_events_YYYY_MM` by `ensure_usage_partition`).
    static let existingMonths: SQL = """
        SELECT to_date(substr(c.relname, 14), 'YYYY_MM') FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'usage_events'::regclass AND c.relname ~ '^usage_events_[0-9]{4}_[0-9]{2}$'
        """

    let db: PostgresConnection

    public init(_ db: PostgresConnection) {
        self.db = db
    }

    /// What ``ensure(from:ahead:)`` found or did for one month.
    public enum State: String, Sendable {
        case created, existed
        /// Its raw events are archived: not created again (restore does that).
        case archived
    }

    /// Creates the partitions of `month` and of the `ahead` months after it
    /// that are missing, except archived months; idempotent. Returns each
    /// month with what was found or done, in order.
    @discardableResult
    public func ensure(from month: BillingMonth, ahead: Int = defaultAhead) throws -> [(month: BillingMonth, state: State)] {
        precondition(ahead >= 0, "ahead is 0 or more")
        return try db.transaction {
            try db.execute("SELECT pg_advisory_xact_lock(hashtext(\(Self.lock)))")
            let existing = try months()
            let archived = Set(try db.execute("SELECT month FROM archived_usage_months").map { try $0.decode(0, as: CivilDate.self) })
            var result: [(month: BillingMonth, state: State)] = []
            var current = month
            for _ in 0...ahead {
                if existing.contains(current) {
                    result.append((current, .existed))
                } else if archived.contains(current.firstDay) {
                    result.append((current, .archived))
                } else {
                    try db.execute("SELECT ensure_usage_partition(\(current.firstDay))")
                    result.append((current, .created))
                }
                current = current.next
            }
            return result
        }
    }

    /// The months whose partition exists.
    public func months() throws -> Set<BillingMonth> {
        Set(try db.execute(Self.existingMonths).map { BillingMonth(containing: try $0.decode(0, as: CivilDate.self)) })
    }
}
