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
            let (invoices, summary) = try build(period: period, customer: customer, progress: progress, timer: &timer)
            try InvoiceStore(db).replaceDrafts(period: period, customer: customer, with: invoices)
            timer.lap("write")
            return (invoices, summary)
        }
    }

    /// The drafts as they would be written (nothing is written).
    private     func build(
        period: BillingMonth, customer only: String?, progress: ((Int, Int) -> Void)?, timer: inout PhaseTimer
    ) throws -> ([Invoice], Summary) {
        var summary = Summary()
        let customers = Dictionary(uniqueKeysWithValues: try CustomerStore(db).all().map { ($0.id, $0) })
        let issued = Set(try db.execute(
            """
            SELECT customer_id FROM invoices WHERE period = \(period.firstDay) AND status <> 'draft'
              AND (\(only)::text IS NULL OR customer_id = \(only))
            """).map { try $0.decode(0, as: String.self) })
        summary.skippedIssued = issued.count
        let cards = try RateCardStore(db).cards()
        let rater = Rater(book: PriceBook(cards: cards))
        let boundaries = Array(Set(cards.flatMap { $0.versions.map(\.effectiveFrom) })).sorted()
        timer.lap("setup")
        let usage = try segmentedUsage(period: period, customer: only, boundaries: boundaries)
        timer.lap("usage")
        let billed = try billedVolume(period: period, customer: only, lateMonths: usage.lateMonths)
        let credits = try CreditStore(db).available(for: period, customer: only)
        let taxes = try TaxRateStore(db).table()
        timer.lap("credits+billed")

        var ids = Set(usage.hours.keys)
        for (id, grants) in credits where grants.contains(where: { $0.grant.serves(period, currency: $0.remaining.currency) }) {
            ids.insert(id)
        }
        ids.subtract(issued)
        let sorted = ids.sorted()
        var problems: [String] = []
        var invoices: [Invoice] = []
        for (done, id) in sorted.enumerated() {
            if done % 500 == 0 { progress?(done, sorted.count) }
            guard let customer = customers[id] else {
                problems.append("\(id): usage for a customer that does not exist")
                continue
            }
            do {
                var months: [InvoiceBuilder.MonthLines] = []
                for (month, hours) in (usage.hours[id] ?? [:]).sorted(by: { $0.key < $1.key }) {
                    let prior = month == period ? [:] : billed[BilledKey(customer: id, month: month)] ?? [:]
                    months.append(InvoiceBuilder.MonthLines(
                        month: month, lines: try rater.rate(usage: hours, card: customer.card, currency: customer.currency, priorVolume: prior)))
                }
                let tax = taxes.rate(country: customer.country, on: InvoiceBuilder.taxDate(period))
                let invoice = try InvoiceBuilder.build(
                    issuer: issuer, customer: customer, period: period, usage: months, credits: credits[id] ?? [], tax: tax,
                    tagUsage: usage.tags[id] ?? [])
                invoices.append(invoice)
            } catch let error as RatingError where !error.gaps.isEmpty {
                problems += error.gaps.map { "\(id): \($0)" }
            } catch let error as InvoiceError {
                problems.append(error.message)
            } catch let error as RatingError {
                problems.append("\(id): \(error.message)")
            }
        }
        progress?(sorted.count, sorted.count)
        timer.lap("rating")
        guard problems.isEmpty else { throw Gaps(problems: problems) }
        summary.customers = sorted.count
        summary.drafts = invoices.count
        for invoice in invoices {
            let figures = [invoice.subtotal, invoice.creditsTotal, invoice.taxTotal, invoice.total]
            if let current = summary.totals[invoice.currency] {
                summary.totals[invoice.currency] = try zip(current, figures).map { try $0 + $1 }
            } else {
                summary.totals[invoice.currency] = figures
            }
        }
        return (invoices, summary)
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
    /// version changes of any card or month starts (`width_bucket` over the
    /// sorted change times). All hours of a segment have the same prices and
    /// the same usage month, so its sum prices exactly like its hours would,
    /// graduated tiers included. Rating sums the tags of a segment; the
    /// breakdown sums the segments of a tag.
    func segmentedUsage(period: BillingMonth, customer: String?, boundaries: [UTCTimestamp]) throws -> PeriodUsage {
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
        // Room to hash-aggregate in memory (a sort would cost several times more).
        try db.execute("SET LOCAL work_mem = '256MB'")
        let rows = try db.execute(
            """
            SELECT customer_id, model, tag, min(hour),
                   sum(input_tokens)::bigint, sum(cached_input_tokens)::bigint, sum(output_tokens)::bigint, sum(events)::bigint
            FROM usage_hourly
            WHERE billing_month = \(period.firstDay) AND (\(customer)::text IS NULL OR customer_id = \(customer))
            GROUP BY customer_id, model, tag, width_bucket(hour, \(sortedCuts)::timestamptz[])
            """)
        struct TagKey: Hashable {
            let customer: String
            let tag: String
            let model: String
        }
        struct SegmentKey: Hashable {
            let customer: String
            let model: String
            let segmentStart: UTCTimestamp
        }
        var tagSums: [TagKey: (TokenCounts, Int64)] = [:]
        var segments: [SegmentKey: TokenCounts] = [:]
        for row in rows {
            let id = try row.decode(0, as: String.self)
            let model = try row.decode(1, as: String.self)
            let first = try row.decode(3, as: UTCTimestamp.self)
            let tokens = TokenCounts(input: try row.decode(4), cachedInput: try row.decode(5), output: try row.decode(6))
            let tagKey = TagKey(customer: id, tag: try row.decode(2), model: model)
            let (sum, events) = tagSums[tagKey] ?? (.zero, 0)
            tagSums[tagKey] = (sum + tokens, events + (try row.decode(7, as: Int64.self)))
            // Tags of one segment may start at different hours: key the segment by its cut.
            let start = sortedCuts.last { $0 <= first } ?? first
            let key = SegmentKey(customer: id, model: model, segmentStart: start)
            segments[key] = (segments[key] ?? .zero) + tokens
        }
        for (key, tokens) in segments {
            let month = BillingMonth(containing: key.segmentStart.date)
            if month != period { usage.lateMonths.insert(month) }
            usage.hours[key.customer, default: [:]][month, default: []].append(UsageHour(hour: key.segmentStart, model: key.model, tokens: tokens))
        }
        for (key, sums) in tagSums {
            usage.tags[key.customer, default: []].append(TagUsage(tag: key.tag, model: key.model, tokens: sums.0, events: sums.1))
        }
        return usage
    }

    /// For late usage: the volume per model of each late month already
    /// billed on earlier invoices (its own month's and earlier late usage),
    /// so late tokens continue the month's tiers (SPEC §5).
    func billedVolume(period: BillingMonth, customer: String?, lateMonths: Set<BillingMonth>) throws -> [BilledKey: [String: TokenCounts]] {
        guard let earliest = lateMonths.min() else { return [:] }
        var result: [BilledKey: [String: TokenCounts]] = [:]
        for row in try db.execute(
            """
            SELECT customer_id, date_trunc('month', hour)::date, model,
                   sum(input_tokens)::bigint, sum(cached_input_tokens)::bigint, sum(output_tokens)::bigint
            FROM usage_hourly
            WHERE billing_month < \(period.firstDay) AND hour >= \(earliest.start) AND hour < \(period.start)
              AND (\(customer)::text IS NULL OR customer_id = \(customer))
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
