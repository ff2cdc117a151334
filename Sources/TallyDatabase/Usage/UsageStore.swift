import TallyCore
import TallyPostgres

/// Reads the hourly usage rollup (never the raw events).
public struct UsageStore {
    let db: PostgresConnection

    public init(_ db: PostgresConnection) {
        self.db = db
    }

    /// A customer's usage in a month, per hour and model (sites and tags summed).
    public func hours(customer: String, month: BillingMonth) throws -> [UsageHour] {
        try db.execute(
            """
            SELECT hour, model, sum(input_tokens)::bigint, sum(cached_input_tokens)::bigint, sum(output_tokens)::bigint
            FROM usage_hourly WHERE customer_id = \(customer) AND hour >= \(month.start) AND hour < \(month.end)
              AND billing_month = \(month.firstDay)
            GROUP BY hour, model ORDER BY hour, model
            """
        ).map { row in
            UsageHour(hour: try row.decode(0), model: try row.decode(1),
                      tokens: TokenCounts(input: try row.decode(2), cachedInput: try row.decode(3), output: try row.decode(4)))
        }
    }

    public enum Grouping: String, Sendable, CaseIterable {
        case model, tag, day, site
    }

    public struct Row: Sendable, Equatable {
        public let key: String
        public let tokens: TokenCounts
        public let events: Int64
    }

    /// A customer's month grouped by model, API key / project tag, day or site.
    public func summary(customer: String, month: BillingMonth, by grouping: Grouping) throws -> [Row] {
        let key: SQL = switch grouping {
        case .model: "model"
        case .tag: "CASE WHEN tag = '' THEN '(untagged)' ELSE tag END"
        case .day: "to_char(hour, 'YYYY-MM-DD')"
        case .site: "site_id"
        }
        return try db.execute(
            """
            SELECT \(key) AS k, sum(input_tokens)::bigint, sum(cached_input_tokens)::bigint, sum(output_tokens)::bigint,
                   sum(events)::bigint
            FROM usage_hourly WHERE customer_id = \(customer) AND hour >= \(month.start) AND hour < \(month.end)
            GROUP BY k ORDER BY k
            """
        ).map { row in
            Row(key: try row.decode(0), tokens: TokenCounts(input: try row.decode(1), cachedInput: try row.decode(2), output: try row.decode(3)),
                events: try row.decode(4))
        }
    }
}
