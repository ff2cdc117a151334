import Foundation
import Testing
import TallyCore
import TallyDatabase
import TallyPostgres
import TallyTesting

/// Issue 13, "GPU-hours exact", the cost half: QA's fleet of 401 short spot
/// buys, each in its own hour (400 of 4 s, one of 2 s): 1,602 GPU-seconds at
/// 1.00 per GPU-hour cost exactly 0.445 USD. Divided by 3600 hour by hour,
/// the cost came out 0.444999999999999956 and printed 0.44.
@Suite("partial-hour cost")
struct PartialHourCostTests {
    static func files() throws -> [String: String] {
        var spot = "id,kind,site_id,gpu_type_id,gpu_count,starts_at,ends_at,price_per_gpu_hour,preempted_at\n"
        let first = try UTCTimestamp(parsing: "2026-11-01T00:00:00Z")
        for i in 0..<401 {
            let from = first.adding(microseconds: Int64(i) * UTCTimestamp.microsecondsPerHour)
            let to = from.adding(microseconds: UTCTimestamp.microsecondsPerHour)
            let preempted = from.adding(microseconds: (i == 400 ? 2 : 4) * UTCTimestamp.microsecondsPerSecond)
            spot += "sp\(i),spot,s-c,L40S,1,\(from),\(to),1.00,\(preempted)\n"
        }
        return [
            "sites.csv": "id,provider,country,currency\ns-c,Acme,US,USD\n",
            "gpu_types.csv": "id,memory_gb,description\nL40S,48,\n",
            "fx_rates.csv": "day,currency,rate\n2026-10-01,USD,1\n",
            "capacity_purchases.csv": spot,
        ]
    }

    @Test func qaFleetCostsExactlyItsRationalValue() async throws {
        let temp = try TemporaryFiles(try Self.files())
        defer { temp.remove() }
        try await TestDatabase.withSchema { pool, _ in
            let paths = ["sites.csv", "gpu_types.csv", "fx_rates.csv", "capacity_purchases.csv"].map(temp.path)
            _ = try await pool.withConnection { db in try SupplyImporter().importFiles(paths, into: db) }
            let period = try CostPeriod(fromDay: CivilDate(parsing: "2026-11-01"), toDay: CivilDate(parsing: "2026-12-01"))
            let ledger = try await pool.withConnection { db in try SupplyStore(db).ledger(for: period) }
            let exact = try ExactDecimal(parsing: "0.445")
            for dimension in [CostReport.Dimension.pool, .site, .gpu, .country] {
                let report = try CostReport(ledger: ledger, by: dimension)
                #expect(report.rows.count == 1)
                let row = try #require(report.rows.first)
                #expect(row.capacityGPUHours == exact, "\(dimension)")
                #expect(row.purchaseCost == exact, "\(dimension)")
                #expect(row.idleCost == exact, "\(dimension)")
                #expect(row.strandedCost == exact, "\(dimension)")
                #expect(row.blendedCostPerGPUHour == .one, "\(dimension)")
                // Printed to the cent, half away from zero: 0.45, not 0.44.
                #expect(row.purchaseCost?.rounded(places: 2, .halfAwayFromZero) == (try ExactDecimal(parsing: "0.45")))
            }
            let totals = try ledger.totals()
            #expect(totals.purchaseCost == exact && totals.idleCost == exact && totals.strandedCost == exact)
            #expect(totals.usedCost == .zero && totals.fullyLoadedCost == .zero)
            // By day, the 17 days add up to the pool exactly.
            let byDay = try CostReport(ledger: ledger, by: .day)
            #expect(byDay.rows.filter { $0.purchaseCost != .zero }.count == 17)
            #expect(try byDay.rows.map { $0.purchaseCost! }.sum() == exact)
        }
    }
}
