import TallyCore

/// The JSON shape of a cost report (`tally cost --format json`): full-precision
/// decimals as strings.
public struct CostReportJSON: Encodable, Sendable {
    public struct Row: Encodable, Sendable {
        public let key: String
        public let capacityGPUHours, spotGPUHours, usedGPUHours, purchaseCost, usedCost, idleCost, fullyLoadedCost, strandedCost: ExactDecimal?
        public let inputTokens, cachedInputTokens, outputTokens: Int64
        public let costPerMillionInput, costPerMillionCachedInput, costPerMillionOutput: ExactDecimal?
    }
    public struct Totals: Encodable, Sendable {
        public let capacityGPUHours, spotGPUHours, usedGPUHours, purchaseCost, usedCost, idleCost, fullyLoadedCost, strandedCost: ExactDecimal
        public let usedPlusIdleReconciles, fullyLoadedPlusStrandedReconciles: Bool
    }
    public let from, to: UTCTimestamp
    public let by: String
    public let currency: Currency
    public let rows: [Row]
    public let totals: Totals

    public init(_ report: CostReport) {
        from = report.period.from
        to = report.period.to
        by = report.dimension.rawValue
        currency = report.reportingCurrency
        rows = report.rows.map { r in
            Row(key: r.key, capacityGPUHours: r.capacityGPUHours, spotGPUHours: r.spotGPUHours, usedGPUHours: r.usedGPUHours,
                purchaseCost: r.purchaseCost, usedCost: r.usedCost, idleCost: r.idleCost, fullyLoadedCost: r.fullyLoadedCost,
                strandedCost: r.strandedCost, inputTokens: r.tokens.input, cachedInputTokens: r.tokens.cachedInput,
                outputTokens: r.tokens.output, costPerMillionInput: r.costPerMillion?.input,
                costPerMillionCachedInput: r.costPerMillion?.cachedInput, costPerMillionOutput: r.costPerMillion?.output)
        }
        let t = report.totals
        totals = Totals(capacityGPUHours: t.capacityGPUHours, spotGPUHours: t.spotGPUHours, usedGPUHours: t.usedGPUHours,
                        purchaseCost: t.purchaseCost, usedCost: t.usedCost, idleCost: t.idleCost,
                        fullyLoadedCost: t.fullyLoadedCost, strandedCost: t.strandedCost,
                        usedPlusIdleReconciles: t.usedPlusIdleReconciles,
                        fullyLoadedPlusStrandedReconciles: t.fullyLoadedPlusStrandedReconciles)
    }

    /// The document `tally cost --format json` prints.
    public func json() throws -> String {
        try TabularOutput.encodeEscapingSlashes(self)
    }
}
