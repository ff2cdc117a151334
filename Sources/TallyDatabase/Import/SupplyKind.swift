import TallyCore
import TallyPostgres

/// The kinds of supply file, told apart by their header row. Column names are
/// the database's, so a CSV header reads like the table it loads.
public enum SupplyKind: String, CaseIterable, Sendable {
    case sites
    case gpuTypes = "gpu_types"
    case fxRates = "fx_rates"
    case reservedContracts = "reserved_contracts"
    case capacityPurchases = "capacity_purchases"
    case allocations
    case computeWeights = "compute_weights"

    /// The table it loads.
    public var table: String { self == .computeWeights ? "model_compute_weights" : rawValue }

    public var requiredColumns: [String] {
        switch self {
        case .sites: ["id", "provider", "country", "currency"]
        case .gpuTypes: ["id", "memory_gb"]
        case .fxRates: ["day", "currency", "rate"]
        case .reservedContracts:
            ["id", "site_id", "gpu_type_id", "gpu_count", "starts_at", "ends_at", "price_per_gpu_hour"]
        case .capacityPurchases:
            ["id", "kind", "site_id", "gpu_type_id", "gpu_count", "starts_at", "ends_at", "price_per_gpu_hour"]
        case .allocations: ["hour", "site_id", "gpu_type_id", "model", "gpus_used"]
        case .computeWeights: ["model", "input_weight", "cached_weight", "output_weight"]
        }
    }

    public var optionalColumns: [String] {
        switch self {
        case .gpuTypes: ["description"]
        case .reservedContracts: ["upfront_fee"]
        case .capacityPurchases: ["preempted_at"]
        case .allocations: ["input_tokens", "cached_input_tokens", "output_tokens"]
        default: []
        }
    }

    /// Table columns in load order: required then optional.
    var columns: [String] { requiredColumns + optionalColumns }

    var keyColumns: [String] {
        switch self {
        case .fxRates: ["currency", "day"]
        case .allocations: ["hour", "site_id", "gpu_type_id", "model"]
        case .computeWeights: ["model"]
        default: ["id"]
        }
    }

    /// Import order: referenced tables first.
    static let loadOrder: [SupplyKind] = [.sites, .gpuTypes, .fxRates, .reservedContracts, .capacityPurchases, .allocations, .computeWeights]

    /// The kind whose columns the header has: all required ones and nothing unknown.
    static func detect(header: [String]) -> SupplyKind? {
        let names = Set(header)
        return allCases.first { kind in
            Set(kind.requiredColumns).isSubset(of: names) && names.isSubset(of: Set(kind.columns))
        }
    }

    /// Whether a new row can touch a closed month. A new site or GPU type
    /// changes no past figure; a new contract, FX rate or allocation can.
    var checksNewRows: Bool {
        switch self {
        case .sites, .gpuTypes, .computeWeights: false
        default: true
        }
    }

    /// True (as SQL on the row aliased `alias`) when the row touches a closed
    /// month: changing or adding it would change finalized figures.
    func touchesClosedMonth(_ alias: String) -> SQL {
        switch self {
        case .sites, .gpuTypes:
            // A site's country or currency shapes every month's figures: its
            // changes are refused once any month is closed (see `checksNewRows`).
            return "EXISTS (SELECT 1 FROM closed_periods)"
        case .computeWeights:
            // Weights only split reported cost across token classes.
            return "false"
        case .fxRates:
            return "EXISTS (SELECT 1 FROM closed_periods c WHERE c.month = date_trunc('month', \(identifier: alias).day)::date)"
        case .allocations:
            return "EXISTS (SELECT 1 FROM closed_periods c WHERE c.month = date_trunc('month', \(identifier: alias).hour AT TIME ZONE 'UTC')::date)"
        case .reservedContracts, .capacityPurchases:
            return """
                EXISTS (SELECT 1 FROM closed_periods c
                        WHERE c.month < \(identifier: alias).ends_at AT TIME ZONE 'UTC'
                          AND c.month + interval '1 month' > \(identifier: alias).starts_at AT TIME ZONE 'UTC')
                """
        }
    }
}
