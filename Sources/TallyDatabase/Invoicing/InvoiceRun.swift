import TallyCore
import TallyPostgres

/// `tally invoice run`: builds or rebuilds the draft invoices of a month.
///
/// Reads everything it needs in a few set-based queries (never per
/// customer): the month's usage from the hourly rollup, summed per
/// customer, usage month, model and *price segment* (the hours between two
/// card-version changes, so tiers still fill in time order across a
/// version change; see ``segmentedUsage``), the usage by tag, the volume
/// already billed for late months, the credits available, the tax table.
/// Then it prices every customer in memory, reports every pricing or tax
/// gap at once (writing nothing), and replaces the period's drafts in one
/// transaction. Issued invoices are never touched; running it again gives
/// the same drafts.
public struct InvoiceRun {
    public struct Summary: Sendable, Equatable {
        public var customers = 0
        public var drafts = 0
        /// Issued invoices of the period left as they are.
        public var skippedIssued = 0
        /// Per currency: subtotal, credits, tax, total.
        public var totals: [Currency: [Money]] = [:]
    }

    /// Everything that stops a run, all at once.
    public struct Gaps: Error, CustomStringConvertible {
        public let problems: [String]
        public var description: String {
            (["\(problems.count) problem(s); no draft was written:"] + problems.map { "  " + $0 }).joined(separator: "\n")
        }
    }

    /// Serializes runs and finalizations (drafts are replaced as a set).
    static let lock = "tally.invoices"

    let db: PostgresConnection
    let issuer: Issuer

    public init(_ db: PostgresConnection, issuer: Issuer) {
        self.db = db
        self.issuer = issuer
    }

    /// Builds the drafts of `period` (one customer or all) and writes them.
    /// `progress(done, total)` is called as customers are priced.
    @discardableResult
    public func run(period: BillingMonth, customer: String? = nil, progress: ((Int, Int) -> Void)? = nil) throws -> Summary {
        try writeDrafts(period: period, customer: customer, progress: progress).summary
    }

    /// Builds and writes the drafts, in the caller's transaction if there is
    /// one (finalization numbers exactly the drafts it just wrote).
    func writeDrafts(
        period: BillingMonth, customer: String?, progress: ((Int, Int) -> Void)?
    ) throws -> (drafts: [Invoice], summary: Summary) {
        var timer = PhaseTimer()
        defer { timer.report() }
        return try db.transaction {
            try db.execute("SELECT pg_advisory_xact_lock(hashtext(\(Self.lock)))")
            // Everything is read first: no query can run while the drafts stream in by COPY.
            let plan = try prepare(period: period, customers: customer.map { [$0] }, timer: &timer)
            // Pricing starts now, so it also overlaps the deletion of the old drafts.
            let pricing = startPricing(plan)
            var invoices: [Invoice] = []
            var summary = Summary()
            do {
                try InvoiceStore(db).replaceDrafts(period: period, customer: customer) { write in
                    summary = try collect(pricing, plan: plan, progress: progress, timer: &timer) { invoice in
                        try write(invoice)
                        invoices.append(invoice)
                    }
                }
            } catch {
                pricing.cancel()
                throw error
            }
            timer.lap("write")
            return (invoices, summary)
        }
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

    /// A customer's draft, or why it cannot be built.
    enum Outcome: Sendable {
        case invoice(Invoice)
        /// Pricing gaps, a missing tax rate: reported with the others.
        case problems([String])
        /// Anything else stops the run.
        case failed(any Error)
    }

    /// Prices every customer of the plan on a background thread, in chunks.
    private func startPricing(_ plan: Plan) -> BackgroundProducer<[Outcome]> {
        let issuer = self.issuer
        // 64 chunks of 64 drafts: enough to keep pricing while the old drafts are deleted.
        return BackgroundProducer<[Outcome]>(capacity: 64) { deliver in
            var chunk: [Outcome] = []
            for id in plan.ids {
                chunk.append(Self.outcome(customer: id, plan: plan, issuer: issuer))
                if chunk.count == 64 {
                    guard deliver(chunk) else { return }
                    chunk = []
                }
            }
            if !chunk.isEmpty { _ = deliver(chunk) }
        }
    }

    /// Hands each draft the pricing thread built to `emit` (nothing more once
    /// a problem is found); throws every problem at once at the end, which
    /// aborts the caller's write.
    private func collect(
        _ pricing: BackgroundProducer<[Outcome]>, plan: Plan, progress: ((Int, Int) -> Void)?, timer: inout PhaseTimer,
        emit: (Invoice) throws -> Void
    ) throws -> Summary {
        var summary = Summary()
        summary.skippedIssued = plan.skippedIssued
        var problems: [String] = []
        var done = 0
        while let chunk = pricing.next() {
            for outcome in chunk {
                switch outcome {
                case .invoice(let invoice):
                    if problems.isEmpty { try emit(invoice) }
                    summary.drafts += 1
                    let figures = [invoice.subtotal, invoice.creditsTotal, invoice.taxTotal, invoice.total]
                    if let current = summary.totals[invoice.currency] {
                        summary.totals[invoice.currency] = try zip(current, figures).map { try $0 + $1 }
                    } else {
                        summary.totals[invoice.currency] = figures
                    }
                case .problems(let found):
                    problems += found
                case .failed(let error):
                    throw error
                }
                done += 1
                if done % 500 == 0 { progress?(done, plan.ids.count) }
            }
        }
        progress?(plan.ids.count, plan.ids.count)
        timer.lap("pricing and streaming")
        guard problems.isEmpty else { throw Gaps(problems: problems) }
        summary.customers = plan.ids.count
        return summary
    }

    /// One customer's draft (pure: reads only the plan).
    static func outcome(customer id: String, plan: Plan, issuer: Issuer) -> Outcome {
        guard let customer = plan.customers[id] else { return .problems(["\(id): usage for a customer that does not exist"]) }
        do {
            let months = try rate(customer, plan: plan)
            let tax = plan.taxes.rate(country: customer.country, on: InvoiceBuilder.taxDate(plan.period))
            return .invoice(try InvoiceBuilder.build(
                issuer: issuer, customer: customer, period: plan.period, usage: months, credits: plan.credits[id] ?? [], tax: tax,
                tagUsage: plan.usage.tags[id] ?? []))
        } catch let error as RatingError where !error.gaps.isEmpty {
            return .problems(error.gaps.map { "\(id): \($0)" })
        } catch let error as InvoiceError {
            return .problems([error.message])
        } catch let error as RatingError {
            return .problems(["\(id): \(error.message)"])
        } catch {
            return .failed(error)
        }
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
