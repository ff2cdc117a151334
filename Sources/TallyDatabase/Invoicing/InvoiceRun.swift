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
        try db.transaction {
            try db.execute("SELECT pg_advisory_xact_lock(hashtext(\(Self.lock)))")
            let (invoices, summary) = try build(period: period, customer: customer, progress: progress)
            try InvoiceStore(db).replaceDrafts(period: period, customer: customer, with: invoices)
            return summary
        }
    }

    /// The drafts as they would be written (nothing is written).
    func build(period: BillingMonth, customer only: String?, progress: ((Int, Int) -> Void)?) throws -> ([Invoice], Summary) {
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
        let usage = try segmentedUsage(period: period, customer: only, boundaries: boundaries)
        let billed = try billedVolume(period: period, customer: only, lateMonths: usage.lateMonths)
        let credits = try CreditStore(db).available(for: period, customer: only)
        let taxes = try TaxRateStore(db).table()

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

    /// One scan of the rollup rows billed in `period`, grouped two ways at
    /// once (GROUPING SETS): per customer, usage month, model and price
    /// segment for rating, and per customer, tag and model for the
    /// breakdown. A segment is the run of hours between two version
    /// changes of any card (`width_bucket` over the sorted change times): all
    /// its hours have the same prices, so its sum prices exactly like its
    /// hours would, graduated tiers included.
    func segmentedUsage(period: BillingMonth, customer: String?, boundaries: [UTCTimestamp]) throws -> PeriodUsage {
        var usage = PeriodUsage()
        let rows = try db.execute(
            """
            SELECT customer_id, grouping(tag) = 1, date_trunc('month', hour)::date, model, min(hour), tag,
                   sum(input_tokens)::bigint, sum(cached_input_tokens)::bigint, sum(output_tokens)::bigint, sum(events)::bigint
            FROM usage_hourly
            WHERE billing_month = \(period.firstDay) AND (\(customer)::text IS NULL OR customer_id = \(customer))
            GROUP BY GROUPING SETS (
                (customer_id, date_trunc('month', hour), model, width_bucket(hour, \(boundaries)::timestamptz[])),
                (customer_id, tag, model))
            ORDER BY customer_id, 2, 3, model, 5, tag
            """)
        for row in rows {
            let id = try row.decode(0, as: String.self)
            let tokens = TokenCounts(input: try row.decode(6), cachedInput: try row.decode(7), output: try row.decode(8))
            if try row.decode(1, as: Bool.self) {
                let month = BillingMonth(containing: try row.decode(2, as: CivilDate.self))
                if month != period { usage.lateMonths.insert(month) }
                usage.hours[id, default: [:]][month, default: []].append(
                    UsageHour(hour: try row.decode(4), model: try row.decode(3), tokens: tokens))
            } else {
                usage.tags[id, default: []].append(
                    TagUsage(tag: try row.decode(5), model: try row.decode(3), tokens: tokens, events: try row.decode(9)))
            }
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
