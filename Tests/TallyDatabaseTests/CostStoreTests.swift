import Foundation
import Testing
import TallyCore
import TallyDatabase
import TallyDemo
import TallyPostgres
import TallyTesting

@Suite("Cost from the database")
struct CostStoreTests {
    @Test func slotSumsFromTheDatabaseGiveTheSameLedgerAsHourlyRows() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tally-gen-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        var generator = SupplyGenerator(month: try CivilDate(parsing: "2026-11-01"))
        generator.siteCount = 4
        generator.gpuTypeCount = 3
        let output = try generator.write(to: dir)
        try await TestDatabase.withSchema { pool, _ in
            try await pool.withConnection { db in
                _ = try SupplyImporter().importFiles(output.files, into: db)
                let store = SupplyStore(db)
                let period = try CostPeriod(fromDay: try CivilDate(parsing: "2026-11-01"), toDay: try CivilDate(parsing: "2026-12-01"))
                let plan = try store.engine(for: period).plan(purchases: try store.purchases(overlapping: period))
                #expect(!plan.partialDaySlots.isEmpty, "spot buys make partial-day slots")
                let fromSlots = try store.ledger(for: period)
                let fromHours = try plan.compute(allocations: try store.allocations(in: period))
                #expect(fromSlots.poolDays == fromHours.poolDays)
                #expect(fromSlots.usage == fromHours.usage)
                let totals = try fromSlots.totals()
                #expect(totals.usedPlusIdleReconciles && totals.fullyLoadedPlusStrandedReconciles)
                #expect(totals.strandedCost > .zero, "the generator leaves some pools unused")
            }
        }
    }

    @Test func overAllocationIsFoundThroughTheHourlyCheck() async throws {
        let files = try TemporaryFiles(SupplyFixture.files)
        defer { files.remove() }
        try await TestDatabase.withSchema { pool, _ in
            try await pool.withConnection { db in
                _ = try SupplyImporter().importFiles(SupplyFixture.order.map(files.path), into: db)
                let period = try CostPeriod(fromDay: try CivilDate(parsing: "2026-11-02"), toDay: try CivilDate(parsing: "2026-11-03"))
                // Two models peaking in different hours: peaks add up to 12 > 10, yet no hour exceeds 10.
                try files.write("a.csv", """
                    hour,site_id,gpu_type_id,model,gpus_used
                    2026-11-02T01:00:00Z,us-east,H100,m1,6
                    2026-11-02T01:00:00Z,us-east,H100,m2,4
                    2026-11-02T02:00:00Z,us-east,H100,m1,4
                    2026-11-02T02:00:00Z,us-east,H100,m2,6
                    """)
                _ = try SupplyImporter().importFiles([files.path("a.csv")], into: db)
                let ledger = try SupplyStore(db).ledger(for: period)
                #expect(try ledger.totals().usedGPUHours == 20)
                // One more GPU in hour 02:00 is over capacity, and the error says where.
                try files.write("b.csv", "hour,site_id,gpu_type_id,model,gpus_used\n2026-11-02T02:00:00Z,us-east,H100,m3,0.5\n")
                _ = try SupplyImporter().importFiles([files.path("b.csv")], into: db)
                #expect {
                    try SupplyStore(db).ledger(for: period)
                } throws: { error in
                    CostError.Code.overAllocated ~= error && "\(error)".contains("us-east/H100 at 2026-11-02T02:00:00Z")
                        && "\(error)".contains("10.5")
                }
            }
        }
    }

    @Test func aMissingFXRateInTheDatabaseNamesCurrencyAndDay() async throws {
        var fixture = SupplyFixture.files
        fixture["fx.csv"] = "day,currency,rate\n2026-11-05,EUR,1.10\n"
        let files = try TemporaryFiles(fixture)
        defer { files.remove() }
        try await TestDatabase.withSchema { pool, _ in
            try await pool.withConnection { db in
                _ = try SupplyImporter().importFiles(SupplyFixture.order.map(files.path), into: db)
                let period = try CostPeriod(fromDay: try CivilDate(parsing: "2026-11-01"), toDay: try CivilDate(parsing: "2026-11-10"))
                #expect {
                    try SupplyStore(db).ledger(for: period)
                } throws: { "\($0)".contains("no FX rate for EUR on or before 2026-11-01") }
            }
        }
    }
}
