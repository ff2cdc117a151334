import Foundation
import Testing
import TallyCore
import TallyDatabase
import TallyDemo
import TallyPostgres
import TallyTesting

/// Generates a month of supply for a few sites and GPU types and imports it.
func importGeneratedMonth(_ db: PostgresConnection, sites: Int, gpuTypes: Int) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tally-gen-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    var generator = SupplyGenerator(month: try BillingMonth(parsing: "2026-11"))
    generator.siteCount = sites
    generator.gpuTypeCount = gpuTypes
    _ = try SupplyImporter().importFiles(try generator.write(to: dir).files, into: db)
}

@Suite("Cost from the database")
struct CostStoreTests {
    @Test func slotSumsFromTheDatabaseGiveTheSameLedgerAsHourlyRows() async throws {
        try await TestDatabase.withSchema { pool, _ in
            try await pool.withConnection { db in
                try importGeneratedMonth(db, sites: 4, gpuTypes: 3)
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

    /// us-east/L40S has no contract or spot buy: the daily rollup sums its
    /// day, but the error names each hour and its own figure.
    @Test func overAllocationInAPoolWithNoPurchaseNamesEachHour() async throws {
        let files = try TemporaryFiles(SupplyFixture.files)
        defer { files.remove() }
        try await TestDatabase.withSchema { pool, _ in
            try await pool.withConnection { db in
                _ = try SupplyImporter().importFiles(SupplyFixture.order.map(files.path), into: db)
                try files.write("a.csv", """
                    hour,site_id,gpu_type_id,model,gpus_used
                    2026-11-02T05:00:00Z,us-east,L40S,m1,2
                    2026-11-02T07:00:00Z,us-east,L40S,m2,3
                    """)
                _ = try SupplyImporter().importFiles([files.path("a.csv")], into: db)
                let period = try CostPeriod(fromDay: try CivilDate(parsing: "2026-11-02"), toDay: try CivilDate(parsing: "2026-11-03"))
                #expect {
                    try SupplyStore(db).ledger(for: period)
                } throws: { error in
                    let text = "\(error)"
                    return CostError.Code.overAllocated ~= error
                        && text.contains("pool us-east/L40S at 2026-11-02T05:00:00Z allocates 2 GPUs but has capacity 0")
                        && text.contains("pool us-east/L40S at 2026-11-02T07:00:00Z allocates 3 GPUs but has capacity 0")
                        && !text.contains("T00:00:00Z")
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

@Suite("Daily allocation rollup")
struct AllocationRollupTests {
    /// The rollup, recomputed from scratch, must equal the maintained one.
    static let drift: SQL = """
        SELECT count(*) FROM (
            (SELECT site_id, gpu_type_id, model, (hour AT TIME ZONE 'UTC')::date, sum(gpus_used), max(gpus_used),
                    coalesce(sum(input_tokens), 0), coalesce(sum(cached_input_tokens), 0), coalesce(sum(output_tokens), 0)
             FROM allocations GROUP BY 1, 2, 3, 4
             EXCEPT SELECT site_id, gpu_type_id, model, day, gpu_hours, peak_gpus, input_tokens, cached_input_tokens, output_tokens
                    FROM allocation_days)
            UNION ALL
            (SELECT site_id, gpu_type_id, model, day, gpu_hours, peak_gpus, input_tokens, cached_input_tokens, output_tokens
             FROM allocation_days
             EXCEPT SELECT site_id, gpu_type_id, model, (hour AT TIME ZONE 'UTC')::date, sum(gpus_used), max(gpus_used),
                    coalesce(sum(input_tokens), 0), coalesce(sum(cached_input_tokens), 0), coalesce(sum(output_tokens), 0)
             FROM allocations GROUP BY 1, 2, 3, 4)) x
        """

    @Test func staysExactThroughInsertsUpdatesDeletesAndHandWrittenSQL() async throws {
        let files = try TemporaryFiles(SupplyFixture.files)
        defer { files.remove() }
        try await TestDatabase.withSchema { pool, _ in
            try await pool.withConnection { db in
                _ = try SupplyImporter().importFiles(SupplyFixture.order.map(files.path), into: db)
                #expect(try db.scalar(Self.drift, as: Int.self) == 0)
                #expect(try db.scalar("SELECT count(*) FROM allocation_days", as: Int.self) == 2)
                // Rows late in the UTC day stay in that day, whatever the session zone.
                try db.execute("SET TimeZone = 'America/New_York'")
                try db.execute(
                    """
                    INSERT INTO allocations (hour, site_id, gpu_type_id, model, gpus_used, output_tokens) VALUES
                    ('2026-11-01T23:00:00Z', 'us-east', 'H100', 'llama-3.1-70b', 2, 7),
                    ('2026-11-02T00:00:00Z', 'us-east', 'H100', 'llama-3.1-70b', 1, NULL)
                    """)
                try db.execute("SET TimeZone = 'UTC'")
                #expect(try db.scalar(Self.drift, as: Int.self) == 0)
                let llamaDay1 = try db.execute(
                    "SELECT gpu_hours, peak_gpus, output_tokens FROM allocation_days WHERE model = 'llama-3.1-70b' AND day = '2026-11-01'")[0]
                #expect(try llamaDay1.decode(0, as: ExactDecimal.self) == 5)
                #expect(try llamaDay1.decode(1, as: ExactDecimal.self) == 3)
                #expect(try llamaDay1.decode(2, as: Int64.self) == 500_007)
                let arrays = try db.execute(
                    "SELECT hours, hourly_gpus FROM allocation_days WHERE model = 'llama-3.1-70b' AND day = '2026-11-01'")[0]
                #expect(try arrays.decodeIntArray(0) == [0, 23])
                #expect(try arrays.decodeDecimalArray(1) == [3, 2])
                try db.execute("UPDATE allocations SET gpus_used = gpus_used + 0.25 WHERE model = 'qwen-2.5-72b'")
                #expect(try db.scalar(Self.drift, as: Int.self) == 0)
                try db.execute("DELETE FROM allocations WHERE hour = '2026-11-02T00:00:00Z'")
                #expect(try db.scalar(Self.drift, as: Int.self) == 0)
                #expect(try db.scalar("SELECT count(*) FROM allocation_days WHERE day = '2026-11-02'", as: Int.self) == 0)
                // Rolled back work leaves the rollup as it was.
                try? db.transaction {
                    try db.execute("DELETE FROM allocations")
                    throw Boom()
                }
                #expect(try db.scalar(Self.drift, as: Int.self) == 0)
                #expect(try db.scalar("SELECT count(*) FROM allocation_days", as: Int.self) == 2)
            }
        }
    }
}

struct Boom: Error {}

@Suite("Cost periods on any hour, compute weights")
struct CostPeriodEdgeTests {
    @Test func aPeriodNotOnMidnightCostsTheSameFromTheDatabaseAsFromHourlyRows() async throws {
        try await TestDatabase.withSchema { pool, _ in
            try await pool.withConnection { db in
                try importGeneratedMonth(db, sites: 3, gpuTypes: 2)
                let store = SupplyStore(db)
                for (from, to) in [("2026-11-03T06:00:00Z", "2026-11-05T18:00:00Z"), ("2026-11-10T05:00:00Z", "2026-11-10T09:00:00Z"),
                                   ("2026-11-20T00:00:00Z", "2026-11-21T13:00:00Z")] {
                    let period = try CostPeriod(from: try UTCTimestamp(parsing: from), to: try UTCTimestamp(parsing: to))
                    let plan = try store.engine(for: period).plan(purchases: try store.purchases(overlapping: period))
                    let fromDatabase = try store.ledger(for: period)
                    let fromHours = try plan.compute(allocations: try store.allocations(in: period))
                    #expect(fromDatabase.usage == fromHours.usage, "\(from) – \(to)")
                    #expect(fromDatabase.poolDays == fromHours.poolDays, "\(from) – \(to)")
                }
            }
        }
    }

    @Test func computeWeightsImportIntoTheirTable() async throws {
        let files = try TemporaryFiles(["w.csv": "model,input_weight,cached_weight,output_weight\nm,1,0.2,5\n"])
        defer { files.remove() }
        try await TestDatabase.withSchema { pool, _ in
            try await pool.withConnection { db in
                let summary = try SupplyImporter().importFiles([files.path("w.csv")], into: db)
                #expect(summary.first?.kind == .computeWeights && summary.first?.inserted == 1)
                #expect(try SupplyStore(db).computeWeights()["m"]?.output == 5)
            }
        }
    }
}
