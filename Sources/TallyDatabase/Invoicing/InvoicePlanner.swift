import TallyCore
import TallyPostgres

/// Reads what pricing a month needs (for the invoice run, and for margin
/// reports that rate customers without an invoice) and rates a customer
/// from it. It needs no issuer: it builds no invoice.
///
/// Reads everything in a few set-based queries (never per customer): the
/// month's usage from the hourly rollup, summed per customer, usage month,
/// model and *price segment* (the hours between two card-version changes,
/// so tiers still fill in time order across a version change; see
/// ``segmentedUsage``), the usage by tag, the volume already billed for late
/// months, the credits available, the tax table.
struct InvoicePlanner {
    let db: PostgresConnection

    init(_ db: PostgresConnection) {
        self.db = db
    }

    /// What pricing a month needs, read from the database in a few queries.
    struct Plan {
        let period: BillingMonth
        let customers: [String: Customer]
        /// Customers to invoice, sorted (issued invoices left out).
        let ids: [String]
        let skippedIssued: Int
        let rater: Rater
        let usage: PeriodUsage
        let billed: [BilledKey: [String: TokenCounts]]
        let credits: [String: [(grant: CreditGrant, remaining: Money)]]
        let taxes: TaxTable
    }

    /// `only`: these customers (nil: every customer).
    func prepare(period: BillingMonth, customers only: [String]?, timer: inout PhaseTimer) throws -> Plan {
        let customers = Dictionary(uniqueKeysWithValues: try CustomerStore(db).all().map { ($0.id, $0) })
        let issued = Set(try db.execute(
            """
            SELECT customer_id FROM invoices WHERE period = \(period.firstDay) AND status <> 'draft'
              AND (\(only)::text[] IS NULL OR customer_id = ANY(\(only)))
            """).map { try $0.decode(0, as: String.self) })
        let cards = try RateCardStore(db).cards()
        let boundaries = Array(Set(cards.flatMap { $0.versions.map(\.effectiveFrom) })).sorted()
        timer.lap("setup")
        let usage = try segmentedUsage(period: period, customers: only, boundaries: boundaries)
        timer.lap("usage")
        let billed = try billedVolume(period: period, customers: only, lateMonths: usage.lateMonths)
        let credits = try CreditStore(db).available(for: period, customers: only)
        let taxes = try TaxRateStore(db).table()
        timer.lap("credits+billed")
        var ids = Set(usage.hours.keys)
        for (id, grants) in credits where grants.contains(where: { $0.grant.serves(period, currency: $0.remaining.currency) }) {
            ids.insert(id)
        }
        ids.subtract(issued)
        return Plan(period: period, customers: customers, ids: ids.sorted(), skippedIssued: issued.count,
                    rater: Rater(book: PriceBook(cards: cards)), usage: usage, billed: billed, credits: credits, taxes: taxes)
    }

    /// The price segment of a rollup row's hour, as an expression. The
    /// month's own hours (nearly every row) take one comparison per version
    /// change inside the month, usually none or one; only late usage of
    /// earlier months pays for `width_bucket` over every cut. Segment numbers
    /// are only compared for equality, never decoded.
    static func segmentKey(period: BillingMonth, cuts: [UTCTimestamp]) -> SQL {
        var key: SQL = "CASE"
        let inMonth = cuts.filter { $0 > period.start && $0 < period.end }
        for (i, cut) in inMonth.enumerated().reversed() {
            key = "\(key) WHEN hour >= \(cut) THEN \(i + 1)"
        }
        return "\(key) WHEN hour >= \(period.start) THEN 0 ELSE -width_bucket(hour, \(cuts)::timestamptz[]) END"
    }

    /// A customer's rated lines per usage month (its own month and late
    /// months), late months continuing the volume already billed.
    static func rate(_ customer: Customer, plan: Plan) throws -> [InvoiceBuilder.MonthLines] {
        var months: [InvoiceBuilder.MonthLines] = []
        for (month, hours) in (plan.usage.hours[customer.id] ?? [:]).sorted(by: { $0.key < $1.key }) {
            let prior = month == plan.period ? [:] : plan.billed[BilledKey(customer: customer.id, month: month)] ?? [:]
            months.append(InvoiceBuilder.MonthLines(
                month: month, lines: try plan.rater.rate(usage: hours, card: customer.card, currency: customer.currency, priorVolume: prior)))
        }
        return months
    }

    struct BilledKey: Hashable {
        let customer: String
        let month: BillingMonth
    }

    struct PeriodUsage {
        /// Per customer and usage month: usage per model and price segment,
        /// in time order (a segment stands as one "hour" at its first hour).
        var hours: [String: [BillingMonth: [UsageHour]]] = [:]
        var tags: [String: [TagUsage]] = [:]
        var lateMonths: Set<BillingMonth> = []
    }

    /// One scan of the rollup rows billed in `period`, hash-aggregated per
    /// customer, model, tag and *price segment*: the run of hours between two
    /// version changes of any card or month starts (see ``segmentKey``).
    /// All hours of a segment have the same prices and
    /// the same usage month, so its sum prices exactly like its hours would,
    /// graduated tiers included. Rating sums the tags of a segment; the
    /// breakdown sums the segments of a tag.
    func segmentedUsage(period: BillingMonth, customers: [String]?, boundaries: [UTCTimestamp]) throws -> PeriodUsage {
        var usage = PeriodUsage()
        // Month starts as boundaries too, so no segment spans two usage months.
        var cuts = Set(boundaries)
        if let first = boundaries.first {
            var month = BillingMonth(containing: first.date)
            while month <= period {
                cuts.insert(month.start)
                month = month.next
            }
        }
        cuts.insert(period.start)
        let sortedCuts = cuts.sorted()
        // Hash aggregation in parallel workers, as the bare GROUP BY gets: for
        // this grouping the planner otherwise picks sorting the rows (about 3 s
        // for 4.3M rows) or one hash aggregate in one process (2 s) over a
        // parallel one (1.1 s). Set for this query only. The result comes in
        // hash order and is grouped per customer here (sorting it in SQL cost
        // more than the dictionaries below).
        let planner: [(String, String)] = [("work_mem", "256MB"), ("enable_sort", "off"),
                                           ("parallel_setup_cost", "0"), ("parallel_tuple_cost", "0")]
        let saved = try planner.map { name, _ in (name, try db.scalar("SELECT current_setting(\(name))", as: String.self)) }
        for (name, value) in planner { try db.execute("SELECT set_config(\(name), \(value), true)") }
        let rows = try db.execute(
            """
            SELECT customer_id, model, tag, min(hour) AS first_hour,
                   sum(input_tokens)::bigint, sum(cached_input_tokens)::bigint, sum(output_tokens)::bigint, sum(events)::bigint
            FROM usage_hourly
            WHERE billing_month = \(period.firstDay) AND (\(customers)::text[] IS NULL OR customer_id = ANY(\(customers)))
            GROUP BY customer_id, model, tag, \(Self.segmentKey(period: period, cuts: sortedCuts))
            """)
        for (name, value) in saved { try db.execute("SELECT set_config(\(name), \(value), true)") }
        struct SegmentKey: Hashable {
            let model: String
            let start: UTCTimestamp
        }
        struct TagKey: Hashable {
            let tag: String
            let model: String
        }
        struct Figures {
            var segments: [SegmentKey: TokenCounts] = [:]
            var tags: [TagKey: (tokens: TokenCounts, events: Int64)] = [:]

            mutating func add(_ segment: SegmentKey, _ tag: TagKey, _ tokens: TokenCounts, _ events: Int64) {
                segments[segment] = (segments[segment] ?? .zero) + tokens
                let known = tags[tag]
                tags[tag] = ((known?.tokens ?? .zero) + tokens, (known?.events ?? 0) + events)
            }
        }
        var customers: [String: Figures] = [:]
        // Model names repeat on every row: decode each distinct one once.
        var models = StringCache()
        for row in rows {
            let id = try row.decode(0, as: String.self)
            let model = try row.string(1, &models)
            let tag = try row.decode(2, as: String.self)
            let first = try row.decode(3, as: UTCTimestamp.self)
            let tokens = TokenCounts(input: try row.decode(4), cachedInput: try row.decode(5), output: try row.decode(6))
            let events = try row.decode(7, as: Int64.self)
            // Tags of one segment may start at different hours: key the segment by its cut.
            let start = sortedCuts.last { $0 <= first } ?? first
            customers[id, default: Figures()].add(SegmentKey(model: model, start: start), TagKey(tag: tag, model: model), tokens, events)
        }
        for (id, figures) in customers {
            var months: [BillingMonth: [UsageHour]] = [:]
            for (key, tokens) in figures.segments {
                let month = BillingMonth(containing: key.start.date)
                if month != period { usage.lateMonths.insert(month) }
                months[month, default: []].append(UsageHour(hour: key.start, model: key.model, tokens: tokens))
            }
            usage.hours[id] = months
            // The breakdown by tag (the invoice builder puts it in order).
            usage.tags[id] = figures.tags.map { TagUsage(tag: $0.key.tag, model: $0.key.model, tokens: $0.value.tokens, events: $0.value.events) }
        }
        return usage
    }

    /// For late usage: the volume per model of each late month already
    /// billed on earlier invoices (its own month's and earlier late usage),
    /// so late tokens continue the month's tiers (SPEC §5).
    func billedVolume(period: BillingMonth, customers: [String]?, lateMonths: Set<BillingMonth>) throws -> [BilledKey: [String: TokenCounts]] {
        guard let earliest = lateMonths.min() else { return [:] }
        var result: [BilledKey: [String: TokenCounts]] = [:]
        for row in try db.execute(
            """
            SELECT customer_id, date_trunc('month', hour)::date, model,
                   sum(input_tokens)::bigint, sum(cached_input_tokens)::bigint, sum(output_tokens)::bigint
            FROM usage_hourly
            WHERE billing_month < \(period.firstDay) AND hour >= \(earliest.start) AND hour < \(period.start)
              AND (\(customers)::text[] IS NULL OR customer_id = ANY(\(customers)))
            GROUP BY 1, 2, 3
            """)
        {
            let key = BilledKey(customer: try row.decode(0), month: BillingMonth(containing: try row.decode(1, as: CivilDate.self)))
            guard lateMonths.contains(key.month) else { continue }
            result[key, default: [:]][try row.decode(2, as: String.self)] =
                TokenCounts(input: try row.decode(3), cachedInput: try row.decode(4), output: try row.decode(5))
        }
        return result
    }
}
