/// A ``CostLedger`` grouped by one dimension, with totals that reconcile.
///
/// Rows are sorted by key. For `.model`, capacity belongs to no model: rows
/// carry used and fully loaded cost and cost per 1M tokens, and the idle and
/// stranded cost appear in the totals (and as their own rows when rendered),
/// never hidden inside a model's figure.
public struct CostReport: Sendable {
    public enum Dimension: String, Sendable, CaseIterable {
        case model, pool, site, country, gpu, day
    }

    public struct Row: Sendable, Equatable {
        public let key: String
        /// nil for `.model` rows (capacity is not a model's). Exact GPU-seconds.
        public var capacityGPUSeconds: Int64?
        public var spotGPUSeconds: Int64?
        public var purchaseCost: ExactDecimal?
        public var idleCost: ExactDecimal?
        public var strandedCost: ExactDecimal?
        public var usedGPUHours: ExactDecimal = .zero
        public var usedCost: ExactDecimal = .zero
        public var fullyLoadedCost: ExactDecimal = .zero
        public var tokens: TokenCounts = .zero
        /// `.model` rows only, when the model served tokens.
        public var costPerMillion: CostPerMillionTokens?

        /// Σ GPU-seconds / 3600, rounded once.
        public var capacityGPUHours: ExactDecimal? { capacityGPUSeconds.map { .gpuHours(seconds: $0) } }
        public var spotGPUHours: ExactDecimal? { spotGPUSeconds.map { .gpuHours(seconds: $0) } }

        public var idleGPUHours: ExactDecimal? {
            capacityGPUHours.flatMap { try? $0 - usedGPUHours }
        }

        /// Idle share of capacity, 0…1 (nil without capacity).
        public var idleFraction: ExactDecimal? { perCapacityGPUHour(idleGPUHours, capacityGPUSeconds) }

        /// Spot and on-demand share of capacity, 0…1.
        public var spotFraction: ExactDecimal? { perCapacityGPUHour(spotGPUHours, capacityGPUSeconds) }

        /// Purchase cost per capacity GPU-hour.
        public var blendedCostPerGPUHour: ExactDecimal? { perCapacityGPUHour(purchaseCost, capacityGPUSeconds) }
    }

    public let dimension: Dimension
    public let period: CostPeriod
    public let reportingCurrency: Currency
    public let rows: [Row]
    public let totals: CostTotals

    /// Groups `ledger` by `dimension`. Tokens come from the ledger (allocation
    /// data) unless `tokens` supplies a model's volumes; `weights` overrides the
    /// standard compute weights per model. Throws if the totals do not reconcile.
    public init(
        ledger: CostLedger, by dimension: Dimension, tokens: [String: TokenCounts] = [:],
        weights: [String: ComputeWeights] = [:]
    ) throws {
        self.dimension = dimension
        self.period = ledger.period
        self.reportingCurrency = ledger.reportingCurrency

        func key(_ pool: Pool, _ day: CivilDate) -> String { ledger.key(dimension, pool: pool, day: day) ?? "" }

        var rows: [String: Row] = [:]
        if dimension != .model {
            for (poolDay, figures) in ledger.poolDays {
                let k = key(poolDay.pool, poolDay.day)
                var row = rows[k] ?? Row(key: k, capacityGPUSeconds: 0, spotGPUSeconds: 0, purchaseCost: .zero, idleCost: .zero, strandedCost: .zero)
                row.capacityGPUSeconds! += figures.capacityGPUSeconds
                row.spotGPUSeconds! += figures.spotGPUSeconds
                row.purchaseCost = try row.purchaseCost! + figures.purchaseCost
                row.idleCost = try row.idleCost! + figures.idleCost
                row.strandedCost = try row.strandedCost! + figures.strandedCost
                rows[k] = row
            }
        }
        for (usage, figures) in ledger.usage {
            let k = dimension == .model ? usage.model : key(usage.pool, usage.day)
            var row = rows[k] ?? Row(key: k)
            row.usedGPUHours = try row.usedGPUHours + figures.usedGPUHours
            row.usedCost = try row.usedCost + figures.usedCost
            row.fullyLoadedCost = try row.fullyLoadedCost + figures.fullyLoadedCost
            row.tokens = row.tokens + figures.tokens
            rows[k] = row
        }
        if dimension == .model {
            for (model, counts) in tokens {
                guard var row = rows[model] else { continue }
                row.tokens = counts
                rows[model] = row
            }
            for (model, row) in rows {
                rows[model]!.costPerMillion = try CostPerMillionTokens(
                    cost: row.fullyLoadedCost, tokens: row.tokens, weights: weights[model] ?? .standard)
            }
        }
        self.rows = rows.values.sorted { $0.key < $1.key }
        self.totals = try ledger.totals()
        guard totals.usedPlusIdleReconciles else {
            throw CostError(.arithmetic, "used + idle (\(totals.usedCost) + \(totals.idleCost)) ≠ purchase cost \(totals.purchaseCost)")
        }
        guard totals.fullyLoadedPlusStrandedReconciles else {
            throw CostError(
                .arithmetic,
                "fully loaded + stranded (\(totals.fullyLoadedCost) + \(totals.strandedCost)) ≠ purchase cost \(totals.purchaseCost)")
        }
    }
}
