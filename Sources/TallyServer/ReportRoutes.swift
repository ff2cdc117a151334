import Hummingbird
import TallyCore
import TallyDatabase
import TallyPresentation

/// Reports (ops, admin): cost over a period and margin of a month, the same
/// engine and the same JSON as `tally cost` and `tally margin --format json`.
struct ReportRoutes {
    let environment: ServerEnvironment

    func register(on router: some RouterMethods<TallyRequestContext>) {
        router.get("/v1/reports/cost", permission: .reportsRead) { request, _ in
            let query = request.uri.queryParameters
            let from = try UTCTimestamp(parsingDayOrInstant: try Self.required(query.get("from"), "from"))
            let to = try UTCTimestamp(parsingDayOrInstant: try Self.required(query.get("to"), "to"))
            let period = try CostPeriod(from: from, to: to)
            let by = try Self.dimension(query.get("by"), default: CostReport.Dimension.model)
            let report = try await environment.database.run { db in
                let store = SupplyStore(db)
                return try CostReport(ledger: try store.ledger(for: period), by: by, tokens: [:], weights: try store.computeWeights())
            }
            return JSONResponse.body(try CostReportJSON(report).json() + "\n", contentType: "application/json")
        }
        router.get("/v1/reports/margin", permission: .reportsRead) { request, _ in
            let query = request.uri.queryParameters
            let month = try BillingMonth(parsing: try Self.required(query.get("period"), "period"))
            let by = try Self.dimension(query.get("by"), default: MarginReport.Dimension.customer)
            let top = try query.get("top").map { text in
                guard let top = Int(text), top >= 1 else {
                    throw Problem.badRequest("input.invalid", "top must be a whole number of at least 1, got '\(text)'")
                }
                return top
            }
            let facts = try await environment.database.run { db in try MarginStore(db).facts(for: month) }
            return JSONResponse.body(try MarginReportJSON(try MarginReport(facts, by: by, top: top)).json() + "\n", contentType: "application/json")
        }
    }

    static func required(_ value: String?, _ name: String) throws -> String {
        guard let value else { throw Problem.badRequest("input.invalid", "the query needs \(name)") }
        return value
    }

    /// A grouping named in `by` (the default when absent), listing the valid ones otherwise.
    static func dimension<D: RawRepresentable & CaseIterable>(_ text: String?, default value: D) throws -> D where D.RawValue == String {
        guard let text else { return value }
        guard let dimension = D(rawValue: text) else {
            throw Problem.badRequest("input.invalid", "by must be one of \(D.allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'")
        }
        return dimension
    }
}
