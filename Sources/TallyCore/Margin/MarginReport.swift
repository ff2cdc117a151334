/// Revenue against cost for one month, grouped by one dimension, with totals
/// that reconcile (SPEC §7; rules in docs/margin.md).
///
/// - Revenue is what the period's invoices bill before credits (void ones
///   excluded), plus the rated amount of customers without an invoice yet
///   (labelled), converted to the reporting currency at the rate of the
///   period's last day.
/// - Cost is the cost engine's: used cost and fully loaded cost (used plus the
///   pool's idle shared by use); stranded cost is a line of the totals, in no row.
/// - A customer's share of a model's cost is its weighted tokens over the
///   model's; a model's cost nobody was billed for goes to `(unbilled service)`.
/// - By GPU type, pool, site, country or day, a customer's revenue of a model
///   follows its weighted tokens to sites and days, then the model's used
///   GPU-hours to the site's pools; revenue that finds no allocation goes to
///   `(no allocation)`.
///
/// Every split is exact (largest remainder), so every dimension's rows add
/// up to the same totals. Any mismatch throws ``MarginError``.
public struct MarginReport: Sendable {
    public enum Dimension: String, Sendable, CaseIterable {
        case customer, model, gpu, pool, site, country, day
    }

    /// What a row stands for: a key of the dimension, or one of the labelled rows.
    public enum Kind: Hashable, Sendable {
        case key
        /// A model's cost where no customer was billed for served tokens.
        case unbilledService
        /// Revenue (and tokens) that no allocation of the period can carry.
        case noAllocation
        /// Revenue of late usage of an earlier month, invoiced in this one:
        /// its tokens were served (and cost) in that month.
        case lateUsage(BillingMonth)
        /// Rows folded by `--top`.
        case other(rows: Int)
    }

    public static let unbilledServiceKey = "(unbilled service)"
    public static let noAllocationKey = "(no allocation)"
    public static func lateUsageKey(_ month: BillingMonth) -> String { "(late usage of \(month))" }

    public struct Row: Sendable, Equatable {
        public let key: String
        public let kind: Kind
        public var tokens: TokenCounts = .zero
        /// In the reporting currency, invoiced and rated.
        public var revenue: ExactDecimal = .zero
        /// The part of `revenue` rated from usage, not invoiced yet.
        public var ratedRevenue: ExactDecimal = .zero
        public var usedCost: ExactDecimal = .zero
        /// Used cost plus the share of idle capacity.
        public var fullyLoadedCost: ExactDecimal = .zero
        /// Fully loaded − used: this row's share of idle capacity.
        public private(set) var idleShare: ExactDecimal = .zero
        /// Revenue − fully loaded cost.
        public private(set) var grossMargin: ExactDecimal = .zero
        /// Gross margin / revenue; nil without revenue.
        public private(set) var marginFraction: ExactDecimal?

        init(key: String, kind: Kind = .key) {
            self.key = key
            self.kind = kind
        }

        public var isNegativeMargin: Bool { grossMargin.isNegative }
        public var includesRated: Bool { !ratedRevenue.isZero }

        mutating func add(_ other: Row) throws(MoneyError) {
            tokens = tokens + other.tokens
            revenue = try revenue + other.revenue
            ratedRevenue = try ratedRevenue + other.ratedRevenue
            usedCost = try usedCost + other.usedCost
            fullyLoadedCost = try fullyLoadedCost + other.fullyLoadedCost
        }

        /// Derives idle share, margin and margin %.
        mutating func finish() throws(MoneyError) {
            idleShare = try fullyLoadedCost - usedCost
            grossMargin = try revenue - fullyLoadedCost
            marginFraction = revenue.isZero ? nil : try grossMargin.divided(by: revenue, rounding: .halfEven)
        }
    }

    /// Revenue of one currency from invoices or from rating, and its conversion.
    public struct CurrencyRevenue: Sendable, Equatable {
        public let currency: Currency
        public let invoiced: Bool
        public internal(set) var documents = 0
        /// Of `documents`, drafts (not finalized).
        public internal(set) var drafts = 0
        public internal(set) var customers = 0
        /// Σ subtotals of the documents, in `currency`.
        public internal(set) var subtotal: ExactDecimal = .zero
        /// Σ revenue lines, in `currency`: equals `subtotal` or the report throws.
        public internal(set) var lines: ExactDecimal = .zero
        public internal(set) var rate: ExactDecimal = .one
        /// subtotal × rate (half-even at 10⁻¹⁸), in the reporting currency.
        public internal(set) var converted: ExactDecimal = .zero
    }

    public struct Totals: Sendable, Equatable {
        public var tokens: TokenCounts = .zero
        public var revenue: ExactDecimal = .zero
        public var ratedRevenue: ExactDecimal = .zero
        public var invoicedRevenue: ExactDecimal = .zero
        public var usedCost: ExactDecimal = .zero
        public var idleShare: ExactDecimal = .zero
        public var fullyLoadedCost: ExactDecimal = .zero
        public var grossMargin: ExactDecimal = .zero
        public var marginFraction: ExactDecimal?
        /// Idle cost of pools nobody used: in no row.
        public var strandedCost: ExactDecimal = .zero
        public var purchaseCost: ExactDecimal = .zero
        /// All idle capacity's cost (shared into fully loaded, plus stranded).
        public var idleCost: ExactDecimal = .zero
        /// Revenue − purchase cost (gross margin less stranded cost).
        public var marginAfterStranded: ExactDecimal = .zero
    }

    public let period: BillingMonth
    public let dimension: Dimension
    public let reportingCurrency: Currency
    /// The day revenue converts at (the period's last day; latest rate on or before it).
    public let rateDay: CivilDate
    /// Sorted by key (labelled rows last), or by revenue with `top` (the
    /// labelled rows still last, never folded).
    public let rows: [Row]
    public let totals: Totals
    /// Per currency, invoiced first, then rated.
    public let revenueByCurrency: [CurrencyRevenue]
    /// Void invoices of the period (zero revenue).
    public let voided: [RevenueDocument]
    public let top: Int?

    /// Groups `facts` by `dimension`; with `top`, keeps the `top` rows of
    /// largest revenue (ties by key) and folds the others into one row.
    public init(_ facts: MarginFacts, by dimension: Dimension, top: Int? = nil) throws {
        let ledger = facts.ledger
        let reporting = ledger.reportingCurrency
        guard facts.fx.reportingCurrency == reporting else {
            throw MarginError(.invalidInput, "FX table converts to \(facts.fx.reportingCurrency), the ledger is in \(reporting)")
        }
        if let top, top < 1 { throw MarginError(.invalidInput, "--top must be at least 1 (got \(top))") }
        self.period = facts.period
        self.dimension = dimension
        self.reportingCurrency = reporting
        self.rateDay = facts.period.lastDay
        self.voided = facts.voided.sorted { ($0.customer, $0.name) < ($1.customer, $1.name) }
        self.top = top

        // 1. Revenue per currency, checked against the subtotals, converted exactly.
        let (byCurrency, revenue) = try Self.convertRevenue(facts, rateDay: rateDay, reporting: reporting)
        self.revenueByCurrency = byCurrency

        // 2. Group.
        var grouped: [String: Row]
        switch dimension {
        case .customer: grouped = try Self.byCustomer(facts, revenue: revenue)
        case .model: grouped = try Self.byModel(facts, revenue: revenue)
        case .gpu, .pool, .site, .country, .day: grouped = try Self.byPoolDay(facts, revenue: revenue, dimension: dimension)
        }
        for key in grouped.keys { try grouped[key]!.finish() }

        // 3. Totals, from the inputs (not from the rows), then checked against the rows.
        let cost = try ledger.totals()
        var totals = Totals()
        totals.tokens = facts.served.reduce(.zero) { $0 + $1.tokens }
        for group in byCurrency {
            totals.revenue = try totals.revenue + group.converted
            if group.invoiced {
                totals.invoicedRevenue = try totals.invoicedRevenue + group.converted
            } else {
                totals.ratedRevenue = try totals.ratedRevenue + group.converted
            }
        }
        totals.usedCost = cost.usedCost
        totals.fullyLoadedCost = cost.fullyLoadedCost
        totals.idleShare = try cost.fullyLoadedCost - cost.usedCost
        totals.grossMargin = try totals.revenue - totals.fullyLoadedCost
        totals.marginFraction = totals.revenue.isZero ? nil : try totals.grossMargin.divided(by: totals.revenue, rounding: .halfEven)
        totals.strandedCost = cost.strandedCost
        totals.purchaseCost = cost.purchaseCost
        totals.idleCost = cost.idleCost
        totals.marginAfterStranded = try totals.revenue - totals.purchaseCost
        self.totals = totals

        var rows = grouped.values.sorted { lhs, rhs in
            let l = lhs.kind == .key ? 0 : 1
            let r = rhs.kind == .key ? 0 : 1
            return (l, lhs.key) < (r, rhs.key)
        }
        // Labelled rows (unbilled service, no allocation) are never folded:
        // they are what ops must see, whatever their size.
        let keyed = rows.filter { $0.kind == .key }
        if let top {
            let ranked = keyed.sorted { $0.revenue != $1.revenue ? $0.revenue > $1.revenue : $0.key < $1.key }
            rows = Array(ranked.prefix(top))
            if ranked.count > top {
                let folded = ranked.count - top
                var other = Row(key: "(other \(folded) row\(folded == 1 ? "" : "s"))", kind: .other(rows: folded))
                for row in ranked[top...] { try other.add(row) }
                try other.finish()
                rows.append(other)
            }
            rows += grouped.values.filter { $0.kind != .key }.sorted { $0.key < $1.key }
        }
        self.rows = rows
        try verify()
    }

    /// The reconciliation, spelled out: throws on the first mismatch.
    public func verify() throws {
        var sum = Row(key: "Σ rows")
        for row in rows { try sum.add(row) }
        try sum.finish()
        let t = totals
        let checks: [(String, Bool)] = [
            ("tokens", sum.tokens == t.tokens),
            ("revenue", sum.revenue == t.revenue),
            ("rated revenue", sum.ratedRevenue == t.ratedRevenue),
            ("used cost", sum.usedCost == t.usedCost),
            ("fully loaded cost", sum.fullyLoadedCost == t.fullyLoadedCost),
        ]
        for (name, ok) in checks where !ok {
            throw MarginError(.reconciliation, "Σ rows ≠ totals for \(name) (by \(dimension.rawValue))")
        }
        guard (try t.usedCost + t.idleCost) == t.purchaseCost else {
            throw MarginError(.reconciliation, "used \(t.usedCost) + idle \(t.idleCost) ≠ purchase cost \(t.purchaseCost)")
        }
        guard (try t.fullyLoadedCost + t.strandedCost) == t.purchaseCost else {
            throw MarginError(
                .reconciliation, "fully loaded \(t.fullyLoadedCost) + stranded \(t.strandedCost) ≠ purchase cost \(t.purchaseCost)")
        }
        var invoiced = ExactDecimal.zero
        var all = ExactDecimal.zero
        for group in revenueByCurrency {
            guard group.lines == group.subtotal else {
                throw MarginError(
                    .reconciliation,
                    "\(group.invoiced ? "invoice" : "rated") lines in \(group.currency) add up to \(group.lines), subtotals to \(group.subtotal)")
            }
            all = try all + group.converted
            if group.invoiced { invoiced = try invoiced + group.converted }
        }
        guard all == t.revenue, invoiced == t.invoicedRevenue else {
            throw MarginError(.reconciliation, "revenue \(t.revenue) ≠ Σ converted subtotals \(all)")
        }
    }

    // MARK: - Revenue

    struct CustomerModel: Hashable, Comparable {
        let customer: String
        let model: String
        /// Late usage of an earlier month (nil: the period's own usage).
        var lateMonth: BillingMonth? = nil
        static func < (lhs: Self, rhs: Self) -> Bool {
            (lhs.customer, lhs.model, lhs.lateMonth?.firstDay.daysSinceEpoch ?? Int.min)
                < (rhs.customer, rhs.model, rhs.lateMonth?.firstDay.daysSinceEpoch ?? Int.min)
        }
    }

    /// Revenue per customer and model in the reporting currency: total and rated part.
    struct Revenue {
        var total: ExactDecimal = .zero
        var rated: ExactDecimal = .zero
    }

    /// Per currency and source: Σ lines must equal Σ subtotals; the converted
    /// subtotal is split over the lines by amount (exactly), so the lines'
    /// converted amounts add up to subtotal × rate to the last 10⁻¹⁸.
    static func convertRevenue(
        _ facts: MarginFacts, rateDay: CivilDate, reporting: Currency
    ) throws -> ([CurrencyRevenue], [CustomerModel: Revenue]) {
        struct GroupKey: Hashable, Comparable {
            let currency: Currency
            let invoiced: Bool
            static func < (lhs: Self, rhs: Self) -> Bool { (lhs.invoiced ? 0 : 1, lhs.currency) < (rhs.invoiced ? 0 : 1, rhs.currency) }
        }
        var groups: [GroupKey: CurrencyRevenue] = [:]
        var customers: [GroupKey: Set<String>] = [:]
        for document in facts.documents {
            let key = GroupKey(currency: document.subtotal.currency, invoiced: document.invoiced)
            var group = groups[key] ?? CurrencyRevenue(currency: key.currency, invoiced: key.invoiced)
            group.documents += 1
            if document.isDraft { group.drafts += 1 }
            group.subtotal = try group.subtotal + document.subtotal.amount
            groups[key] = group
            customers[key, default: []].insert(document.customer)
        }
        var linesOf: [GroupKey: [RevenueLine]] = [:]
        for line in facts.revenue {
            guard !line.amount.isNegative else {
                throw MarginError(.invalidInput, "negative revenue \(line.amount) for \(line.customer), \(line.model) \(line.tokenClass.rawValue)")
            }
            let key = GroupKey(currency: line.amount.currency, invoiced: line.invoiced)
            var group = groups[key] ?? CurrencyRevenue(currency: key.currency, invoiced: key.invoiced)
            group.lines = try group.lines + line.amount.amount
            groups[key] = group
            linesOf[key, default: []].append(line)
        }
        var revenue: [CustomerModel: Revenue] = [:]
        var result: [CurrencyRevenue] = []
        for key in groups.keys.sorted() {
            var group = groups[key]!
            group.customers = customers[key]?.count ?? 0
            guard group.lines == group.subtotal else {
                throw MarginError(
                    .reconciliation,
                    "\(key.invoiced ? "invoice" : "rated") lines in \(key.currency) add up to \(group.lines), but the subtotals of \(group.documents) document(s) to \(group.subtotal)")
            }
            group.rate = try facts.fx.rate(key.currency, on: rateDay)
            group.converted = try group.subtotal.multiplied(by: group.rate, rounding: .halfEven)
            let lines = (linesOf[key] ?? []).sorted { ($0.customer, $0.model, $0.tokenClass) < ($1.customer, $1.model, $1.tokenClass) }
            let amounts = lines.map(\.amount.amount)
            let shares = group.lines.isZero
                ? amounts.map { _ in ExactDecimal.zero } : try group.converted.distributed(proportionalTo: amounts)
            for (line, share) in zip(lines, shares) {
                let k = CustomerModel(customer: line.customer, model: line.model, lateMonth: line.lateMonth)
                var r = revenue[k] ?? Revenue()
                r.total = try r.total + share
                if !line.invoiced { r.rated = try r.rated + share }
                revenue[k] = r
            }
            result.append(group)
        }
        return (result, revenue)
    }

    // MARK: - Grouping

    /// Weighted tokens `W` of a served record.
    static func weighted(_ served: ServedTokens, _ weights: [String: ComputeWeights]) throws -> ExactDecimal {
        try served.tokens.weighted(by: weights[served.model] ?? .standard)
    }

    /// Per model: used and fully loaded cost from the ledger.
    static func modelCosts(_ ledger: CostLedger) throws -> [String: (used: ExactDecimal, fullyLoaded: ExactDecimal)] {
        var costs: [String: (used: ExactDecimal, fullyLoaded: ExactDecimal)] = [:]
        for (usage, figures) in ledger.usage {
            let c = costs[usage.model] ?? (.zero, .zero)
            costs[usage.model] = (try c.used + figures.usedCost, try c.fullyLoaded + figures.fullyLoadedCost)
        }
        return costs
    }

    /// Rows keyed by `key` of each (customer, model) with their revenue.
    static func revenueRows(_ revenue: [CustomerModel: Revenue], key: (CustomerModel) -> String) throws -> [String: Row] {
        var rows: [String: Row] = [:]
        for (k, r) in revenue {
            var row = rows[key(k)] ?? Row(key: key(k))
            row.revenue = try row.revenue + r.total
            row.ratedRevenue = try row.ratedRevenue + r.rated
            rows[key(k)] = row
        }
        return rows
    }

    static func byCustomer(_ facts: MarginFacts, revenue: [CustomerModel: Revenue]) throws -> [String: Row] {
        var rows = try revenueRows(revenue) { $0.customer }
        // Weighted tokens per model and customer.
        var weightOf: [String: [String: ExactDecimal]] = [:]
        for served in facts.served {
            var row = rows[served.customer] ?? Row(key: served.customer)
            row.tokens = row.tokens + served.tokens
            rows[served.customer] = row
            weightOf[served.model, default: [:]][served.customer] =
                try (weightOf[served.model]?[served.customer] ?? .zero) + (try weighted(served, facts.weights))
        }
        for (model, cost) in try modelCosts(facts.ledger).sorted(by: { $0.key < $1.key }) {
            let customers = (weightOf[model] ?? [:]).filter { $0.value > .zero }.sorted { $0.key < $1.key }
            if customers.isEmpty {
                var row = rows[unbilledServiceKey] ?? Row(key: unbilledServiceKey, kind: .unbilledService)
                row.usedCost = try row.usedCost + cost.used
                row.fullyLoadedCost = try row.fullyLoadedCost + cost.fullyLoaded
                rows[unbilledServiceKey] = row
                continue
            }
            let w = customers.map(\.value)
            // Both split exactly: each customer's fully loaded cost is its exact
            // share (idle share = fully loaded − used, per row).
            let used = try cost.used.distributed(proportionalTo: w)
            let fullyLoaded = try cost.fullyLoaded.distributed(proportionalTo: w)
            for (i, (customer, _)) in customers.enumerated() {
                var row = rows[customer] ?? Row(key: customer)
                row.usedCost = try row.usedCost + used[i]
                row.fullyLoadedCost = try row.fullyLoadedCost + fullyLoaded[i]
                rows[customer] = row
            }
        }
        return rows
    }

    static func byModel(_ facts: MarginFacts, revenue: [CustomerModel: Revenue]) throws -> [String: Row] {
        var rows = try revenueRows(revenue) { $0.model }
        for served in facts.served {
            var row = rows[served.model] ?? Row(key: served.model)
            row.tokens = row.tokens + served.tokens
            rows[served.model] = row
        }
        for (model, cost) in try modelCosts(facts.ledger) {
            var row = rows[model] ?? Row(key: model)
            row.usedCost = try row.usedCost + cost.used
            row.fullyLoadedCost = try row.fullyLoadedCost + cost.fullyLoaded
            rows[model] = row
        }
        return rows
    }

    /// Cost where the ledger put it; revenue and tokens follow weighted tokens
    /// to (site, day), then used GPU-hours to the site's pools that day.
    static func byPoolDay(_ facts: MarginFacts, revenue: [CustomerModel: Revenue], dimension: Dimension) throws -> [String: Row] {
        let ledger = facts.ledger
        guard let poolDimension = CostReport.Dimension(rawValue: dimension.rawValue), poolDimension != .model else {
            preconditionFailure("\(dimension) is not a pool-day dimension")
        }
        func key(_ pool: Pool, _ day: CivilDate) -> String { ledger.key(poolDimension, pool: pool, day: day)! }
        var rows: [String: Row] = [:]
        func update(_ key: String, kind: Kind = .key, _ change: (inout Row) throws -> Void) rethrows {
            var row = rows[key] ?? Row(key: key, kind: kind)
            try change(&row)
            rows[key] = row
        }
        struct SiteDayModel: Hashable {
            let site: String
            let day: CivilDate
            let model: String
        }
        var pools: [SiteDayModel: [(pool: Pool, hours: ExactDecimal)]] = [:]
        for (usage, figures) in ledger.usage {
            try update(key(usage.pool, usage.day)) { row in
                row.usedCost = try row.usedCost + figures.usedCost
                row.fullyLoadedCost = try row.fullyLoadedCost + figures.fullyLoadedCost
            }
            if figures.usedGPUHours > .zero {
                pools[SiteDayModel(site: usage.pool.site, day: usage.day, model: usage.model), default: []]
                    .append((usage.pool, figures.usedGPUHours))
            }
        }
        for k in pools.keys { pools[k]!.sort { $0.pool < $1.pool } }

        var servedOf: [CustomerModel: [ServedTokens]] = [:]
        for served in facts.served {
            servedOf[CustomerModel(customer: served.customer, model: served.model), default: []].append(served)
        }
        func noAllocation(_ change: (inout Row) throws -> Void) throws {
            try update(noAllocationKey, kind: .noAllocation, change)
        }
        for k in Set(servedOf.keys).union(revenue.keys).sorted() {
            if let month = k.lateMonth {
                // Served (and costed) in its own month: shown apart, not spread over this month's serving.
                let r = revenue[k] ?? Revenue()
                try update(lateUsageKey(month), kind: .lateUsage(month)) { row in
                    row.revenue = try row.revenue + r.total
                    row.ratedRevenue = try row.ratedRevenue + r.rated
                }
                continue
            }
            let records = (servedOf[k] ?? []).sorted { ($0.site, $0.day) < ($1.site, $1.day) }
            let r = revenue[k] ?? Revenue()
            let w = try records.map { try weighted($0, facts.weights) }
            let totalW = try w.sum()
            var revenueShares = records.map { _ in ExactDecimal.zero }
            var ratedShares = revenueShares
            if totalW > .zero {
                revenueShares = try r.total.distributed(proportionalTo: w)
                ratedShares = try r.rated.distributed(proportionalTo: w)
            } else if !r.total.isZero {
                try noAllocation { row in
                    row.revenue = try row.revenue + r.total
                    row.ratedRevenue = try row.ratedRevenue + r.rated
                }
            }
            for (i, record) in records.enumerated() {
                guard let targets = pools[SiteDayModel(site: record.site, day: record.day, model: record.model)] else {
                    try noAllocation { row in
                        row.tokens = row.tokens + record.tokens
                        row.revenue = try row.revenue + revenueShares[i]
                        row.ratedRevenue = try row.ratedRevenue + ratedShares[i]
                    }
                    continue
                }
                let hours = targets.map(\.hours)
                let revenueSplit = try revenueShares[i].distributed(proportionalTo: hours)
                let ratedSplit = try ratedShares[i].distributed(proportionalTo: hours)
                let tokenSplit = try split(record.tokens, proportionalTo: hours)
                for (j, target) in targets.enumerated() {
                    try update(key(target.pool, record.day)) { row in
                        row.tokens = row.tokens + tokenSplit[j]
                        row.revenue = try row.revenue + revenueSplit[j]
                        row.ratedRevenue = try row.ratedRevenue + ratedSplit[j]
                    }
                }
            }
        }
        return rows
    }

    /// Whole tokens split by weight, exactly (largest remainder): a count of
    /// N tokens is split as N units of 10⁻¹⁸, which the exact split keeps whole.
    static func split(_ tokens: TokenCounts, proportionalTo weights: [ExactDecimal]) throws -> [TokenCounts] {
        func parts(_ n: Int64) throws -> [Int64] {
            try ExactDecimal(units: Int128(n)).distributed(proportionalTo: weights).map { Int64($0.units) }
        }
        let input = try parts(tokens.input)
        let cached = try parts(tokens.cachedInput)
        let output = try parts(tokens.output)
        return weights.indices.map { TokenCounts(input: input[$0], cachedInput: cached[$0], output: output[$0]) }
    }
}
