import TallyCore

/// One validated supply record: its values as canonical text in the table's
/// column order (nil = NULL), its key, and the ids it refers to.
struct SupplyRow {
    let line: Int
    let values: [String?]
    let key: String
    var siteID: String?
    var gpuTypeID: String?

    /// Validates `fields` as a row of `kind`; nil when any field is bad
    /// (the reader then holds every problem of the row).
    static func parse(_ kind: SupplyKind, _ r: inout FieldReader) -> SupplyRow? {
        var values: [String?]
        var site: String?
        var gpu: String?
        switch kind {
        case .sites:
            let id = r.text("id")
            let provider = r.text("provider")
            let country = r.text("country")
            if let country, !(country.utf8.count == 2 && country.utf8.allSatisfy({ $0 >= 65 && $0 <= 90 })) {
                r.problem("country", country, "not an ISO 3166-1 alpha-2 code (two upper-case letters)")
            }
            let currency = r.currency("currency")
            values = [id, provider, country, currency?.code]
        case .gpuTypes:
            values = [r.text("id"), r.integer("memory_gb", .positive).map(String.init), r.optionalText("description") ?? ""]
        case .fxRates:
            values = [r.date("day")?.description, r.currency("currency")?.code, r.decimal("rate", .positive)?.description]
        case .reservedContracts, .capacityPurchases:
            let id = r.text("id")
            var purchaseKind: String?
            if kind == .capacityPurchases {
                purchaseKind = r.text("kind")
                if let k = purchaseKind, k != "spot", k != "on_demand" {
                    r.problem("kind", k, "must be spot or on_demand")
                }
            }
            site = r.text("site_id")
            gpu = r.text("gpu_type_id")
            let count = r.integer("gpu_count", .positive)
            let start = r.timestamp("starts_at")
            let end = r.timestamp("ends_at")
            if let start, let end, end <= start {
                r.problem("ends_at", end.description, "must be after starts_at (\(start))")
            }
            let price = r.decimal("price_per_gpu_hour", .nonNegative)
            if kind == .reservedContracts {
                let upfront = r.optionalDecimal("upfront_fee", .nonNegative) ?? .zero
                values = [id, site, gpu, count.map(String.init), start?.description, end?.description, price?.description, upfront.description]
            } else {
                let preempted = r.optionalTimestamp("preempted_at")
                if let preempted, let start, let end, preempted < start || preempted > end {
                    r.problem("preempted_at", preempted.description, "must be within [starts_at, ends_at]")
                }
                values = [id, purchaseKind, site, gpu, count.map(String.init), start?.description, end?.description, price?.description, preempted?.description]
            }
        case .allocations:
            let hour = r.timestamp("hour")
            if let hour, hour.startOfHour != hour {
                r.problem("hour", hour.description, "must be the start of a UTC hour")
            }
            site = r.text("site_id")
            gpu = r.text("gpu_type_id")
            values = [
                hour?.description, site, gpu, r.text("model"), r.decimal("gpus_used", .nonNegative)?.description,
                r.optionalInteger("input_tokens", .nonNegative).map(String.init),
                r.optionalInteger("cached_input_tokens", .nonNegative).map(String.init),
                r.optionalInteger("output_tokens", .nonNegative).map(String.init),
            ]
        case .computeWeights:
            values = [
                r.text("model"), r.decimal("input_weight", .nonNegative)?.description,
                r.decimal("cached_weight", .nonNegative)?.description, r.decimal("output_weight", .nonNegative)?.description,
            ]
        }
        guard r.problems.isEmpty else { return nil }
        let keyIndexes = kind.keyColumns.map { kind.columns.firstIndex(of: $0)! }
        let key = keyIndexes.map { values[$0] ?? "" }.joined(separator: "|")
        return SupplyRow(line: r.line, values: values, key: key, siteID: site, gpuTypeID: gpu)
    }
}
