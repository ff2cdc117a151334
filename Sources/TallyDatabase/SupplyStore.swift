import TallyCore
import TallyPostgres

/// Reads the supply tables into core types for the cost engine.
public struct SupplyStore {
    let db: PostgresConnection

    public init(_ db: PostgresConnection) {
        self.db = db
    }

    /// The currency costs are reported in (`settings.reporting_currency`, default USD).
    public func reportingCurrency() throws -> Currency {
        let code = try db.execute("SELECT value FROM settings WHERE key = 'reporting_currency'").first?
            .decode(0, as: String.self) ?? "USD"
        return try Currency(code: code)
    }

    public func sites() throws -> [Site] {
        try db.execute("SELECT id, provider, country, currency FROM sites ORDER BY id").map { row in
            Site(id: try row.decode(0), provider: try row.decode(1), country: try row.decode(2),
                 currency: try row.decode(3, as: Currency.self))
        }
    }

    /// Reserved contracts and spot/on-demand purchases active at some time in `period`.
    public func purchases(overlapping period: CostPeriod) throws -> [CapacityPurchase] {
        var purchases = try db.execute(
            """
            SELECT id, site_id, gpu_type_id, gpu_count, starts_at, ends_at, price_per_gpu_hour, upfront_fee
            FROM reserved_contracts WHERE starts_at < \(period.to) AND ends_at > \(period.from) ORDER BY id
            """
        ).map { row in
            CapacityPurchase(
                id: try row.decode(0), kind: .reserved, pool: Pool(site: try row.decode(1), gpuType: try row.decode(2)),
                gpuCount: try row.decode(3), start: try row.decode(4), end: try row.decode(5),
                pricePerGPUHour: try row.decode(6), upfrontFee: try row.decode(7))
        }
        purchases += try db.execute(
            """
            SELECT id, kind, site_id, gpu_type_id, gpu_count, starts_at, ends_at, price_per_gpu_hour, preempted_at
            FROM capacity_purchases WHERE starts_at < \(period.to) AND ends_at > \(period.from) ORDER BY id
            """
        ).map { row in
            CapacityPurchase(
                id: try row.decode(0), kind: try row.decode(1, as: String.self) == "spot" ? .spot : .onDemand,
                pool: Pool(site: try row.decode(2), gpuType: try row.decode(3)), gpuCount: try row.decode(4),
                start: try row.decode(5), end: try row.decode(6), pricePerGPUHour: try row.decode(7),
                preemptedAt: try row.decode(8, as: UTCTimestamp?.self))
        }
        return purchases
    }

    /// Every FX rate on or before the period's last day (earlier ones matter:
    /// a day converts at the latest rate on or before it).
    public func fxTable(for period: CostPeriod, reportingCurrency: Currency) throws -> FXTable {
        var table = FXTable(reportingCurrency: reportingCurrency)
        for row in try db.execute(
            "SELECT day, currency, rate FROM fx_rates WHERE day < \(period.to.date.adding(days: 1)) ORDER BY currency, day")
        {
            table.add(day: try row.decode(0), currency: try row.decode(1, as: Currency.self), rate: try row.decode(2))
        }
        return table
    }

    /// Allocations in the period's hours.
    public func allocations(in period: CostPeriod) throws -> [Allocation] {
        let result = try db.execute(
            """
            SELECT hour, site_id, gpu_type_id, model, gpus_used, input_tokens, cached_input_tokens, output_tokens
            FROM allocations WHERE hour >= \(period.from) AND hour < \(period.to)
            """)
        var allocations: [Allocation] = []
        allocations.reserveCapacity(result.count)
        var pool = Pool(site: "", gpuType: "")
        for row in result {
            let site = try row.decode(1, as: String.self)
            let gpu = try row.decode(2, as: String.self)
            if pool.site != site || pool.gpuType != gpu { pool = Pool(site: site, gpuType: gpu) }
            let input = try row.decode(5, as: Int64?.self)
            let cached = try row.decode(6, as: Int64?.self)
            let output = try row.decode(7, as: Int64?.self)
            let tokens = input == nil && cached == nil && output == nil
                ? nil : TokenCounts(input: input ?? 0, cachedInput: cached ?? 0, output: output ?? 0)
            allocations.append(Allocation(
                hour: try row.decode(0), pool: pool, model: try row.decode(3), gpusUsed: try row.decode(4), tokens: tokens))
        }
        return allocations
    }

    public func computeWeights() throws -> [String: ComputeWeights] {
        var weights: [String: ComputeWeights] = [:]
        for row in try db.execute("SELECT model, input_weight, cached_weight, output_weight FROM model_compute_weights") {
            weights[try row.decode(0)] = ComputeWeights(input: try row.decode(1), cachedInput: try row.decode(2), output: try row.decode(3))
        }
        return weights
    }

    /// Allocations summed per (pool, slot of `plan`, model), with each
    /// model's hourly peak, from the daily rollup `allocation_days` — never
    /// from every hourly row. Whole-day slots take a day's totals; pool-days
    /// cut into shorter slots (spot windows, preemptions) are split by the
    /// plan from the rollup's hourly figures.
    public func slotUsage(for plan: CapacityPlan) throws -> [SlotUsage] {
        let partial = plan.partialPoolDays
        let partialSites = partial.map(\.pool.site)
        let partialGPUs = partial.map(\.pool.gpuType)
        let partialDays = partial.map(\.day)
        // Days the period covers only in part (it starts or ends inside them)
        // are read hour by hour from the allocations themselves, so their
        // tokens count only for the hours inside the period.
        let period = plan.period
        let firstWholeDay = period.from == period.from.date.startOfDay ? period.from.date : period.from.date.adding(days: 1)
        let endWholeDays = period.to.date  // exclusive; a period ending at midnight ends its last whole day there
        var usage: [SlotUsage] = []
        let days = try db.execute(
            """
            SELECT site_id, gpu_type_id, model, day, gpu_hours, peak_gpus, input_tokens, cached_input_tokens, output_tokens
            FROM allocation_days d
            WHERE day >= \(firstWholeDay) AND day < \(endWholeDays)
              AND NOT EXISTS (
                  SELECT 1 FROM unnest(\(partialSites), \(partialGPUs), \(partialDays)) AS p (site_id, gpu_type_id, day)
                  WHERE p.day = d.day AND p.site_id = d.site_id AND p.gpu_type_id = d.gpu_type_id)
            """)
        usage.reserveCapacity(days.count)
        var sites = StringCache()
        var gpus = StringCache()
        var models = StringCache()
        for row in days {
            let pool = Pool(site: try row.string(0, &sites), gpuType: try row.string(1, &gpus))
            let day = try row.decode(3, as: CivilDate.self)
            usage.append(SlotUsage(
                pool: pool, slotStart: day.startOfDay, model: try row.string(2, &models), gpuHours: try row.decode(4),
                peakGPUs: try row.decode(5), tokens: try Self.tokens(row)))
        }
        let hourly = try db.execute(
            """
            SELECT d.site_id, d.gpu_type_id, d.model, d.day, d.hours, d.hourly_gpus,
                   d.input_tokens, d.cached_input_tokens, d.output_tokens
            FROM unnest(\(partialSites), \(partialGPUs), \(partialDays)) AS p (site_id, gpu_type_id, day)
            JOIN allocation_days d ON d.day = p.day AND d.site_id = p.site_id AND d.gpu_type_id = p.gpu_type_id
            WHERE d.day >= \(firstWholeDay) AND d.day < \(endWholeDays)
            """)
        // The edges: [from, first whole day) and [end of whole days, to).
        var edges: [CostPeriod] = []
        if firstWholeDay.startOfDay > period.from {
            edges.append(try CostPeriod(from: period.from, to: min(firstWholeDay.startOfDay, period.to)))
        }
        if endWholeDays.startOfDay < period.to, endWholeDays.startOfDay >= firstWholeDay.startOfDay {
            edges.append(try CostPeriod(from: endWholeDays.startOfDay, to: period.to))
        }
        for edge in edges {
            usage += try plan.slotUsage(from: try allocations(in: edge)).usage
        }
        for row in hourly {
            usage += try plan.slotUsage(
                pool: Pool(site: try row.decode(0), gpuType: try row.decode(1)), day: try row.decode(3),
                model: try row.decode(2), hours: try row.decodeIntArray(4), gpus: try row.decodeDecimalArray(5),
                tokens: try Self.tokens(row))
        }
        return usage
    }

    /// Columns 6…8: input, cached-input and output tokens.
    private static func tokens(_ row: PostgresRow) throws -> TokenCounts {
        TokenCounts(input: try row.decode(6), cachedInput: try row.decode(7), output: try row.decode(8))
    }

    /// Exact pool totals for every hour of `windows` (for the capacity check).
    public func hourlyTotals(_ windows: [PoolWindow]) throws -> [PoolHourTotal] {
        let sites = windows.map(\.pool.site)
        let gpus = windows.map(\.pool.gpuType)
        let froms = windows.map(\.from)
        let tos = windows.map(\.to)
        return try db.execute(
            """
            SELECT a.site_id, a.gpu_type_id, a.hour, sum(a.gpus_used)
            FROM unnest(\(sites), \(gpus), \(froms), \(tos)) AS s(site_id, gpu_type_id, from_hour, to_hour)
            JOIN allocations a ON a.site_id = s.site_id AND a.gpu_type_id = s.gpu_type_id
                              AND a.hour >= s.from_hour AND a.hour < s.to_hour
            GROUP BY 1, 2, 3
            """
        ).map { row in
            PoolHourTotal(pool: Pool(site: try row.decode(0), gpuType: try row.decode(1)), hour: try row.decode(2), gpus: try row.decode(3))
        }
    }

    /// Runs the cost engine over `period` on what the database holds.
    public func ledger(for period: CostPeriod) throws -> CostLedger {
        var timer = PhaseTimer()
        return try ledger(for: period, timer: &timer)
    }

    /// The same, timing its phases (plan, usage query, compute) in `timer`.
    public func ledger(for period: CostPeriod, timer: inout PhaseTimer) throws -> CostLedger {
        let plan = try engine(for: period).plan(purchases: try purchases(overlapping: period))
        timer.lap("plan")
        let usage = try slotUsage(for: plan)
        timer.lap("usage query")
        let ledger = try plan.compute(usage: usage) { windows in try hourlyTotals(windows) }
        timer.lap("compute")
        return ledger
    }

    /// An engine with this database's sites and FX rates.
    public func engine(for period: CostPeriod) throws -> CostEngine {
        let currency = try reportingCurrency()
        return CostEngine(period: period, sites: try sites(), fx: try fxTable(for: period, reportingCurrency: currency))
    }
}
