import Foundation
import Testing
import TallyCore
import TallyDatabase
import TallyPostgres
import TallyTesting

/// A small, complete fleet as CSV files (hand-checkable figures).
enum SupplyFixture {
    static let files: [String: String] = [
        "sites.csv": """
            id,provider,country,currency
            us-east,Acme,US,USD
            de-fra,Hetz,DE,EUR
            """,
        "gpu_types.csv": """
            id,memory_gb,description
            H100,80,"NVIDIA H100 80GB, SXM"
            L40S,48,
            """,
        "fx.csv": """
            day,currency,rate
            2026-11-01,EUR,1.10
            2026-11-16,EUR,1.05
            """,
        "contracts.csv": """
            id,site_id,gpu_type_id,gpu_count,starts_at,ends_at,price_per_gpu_hour,upfront_fee
            r-us-1,us-east,H100,10,2026-11-01T00:00:00Z,2026-12-01T00:00:00Z,2.00,0
            r-de-1,de-fra,L40S,2,2026-11-01T00:00:00Z,2026-12-01T00:00:00Z,0.50,
            """,
        "spot.csv": """
            id,kind,site_id,gpu_type_id,gpu_count,starts_at,ends_at,price_per_gpu_hour,preempted_at
            s-1,spot,us-east,H100,4,2026-11-01T00:00:00Z,2026-11-01T06:00:00Z,1.50,2026-11-01T02:30:00Z
            """,
        "allocations.csv": """
            hour,site_id,gpu_type_id,model,gpus_used,input_tokens,cached_input_tokens,output_tokens
            2026-11-01T00:00:00Z,us-east,H100,llama-3.1-70b,3,1000000,0,500000
            2026-11-01T00:00:00Z,us-east,H100,qwen-2.5-72b,5,,,
            """,
    ]
    static let order = ["sites.csv", "gpu_types.csv", "fx.csv", "contracts.csv", "spot.csv", "allocations.csv"]
}

@Suite("supply import")
struct SupplyImportTests {
    @discardableResult
    func withFiles<T>(_ files: [String: String] = SupplyFixture.files, _ body: (TemporaryFiles) async throws -> T) async throws -> T {
        let temp = try TemporaryFiles(files)
        defer { temp.remove() }
        return try await body(temp)
    }

    @Test func importsEveryKindAndReimportIsANoOp() async throws {
        try await withFiles { files in
            try await TestDatabase.withSchema { pool, _ in
                let paths = SupplyFixture.order.map(files.path)
                let first = try await pool.withConnection { db in try SupplyImporter().importFiles(paths, into: db) }
                #expect(first.map(\.kind) == [.sites, .gpuTypes, .fxRates, .reservedContracts, .capacityPurchases, .allocations])
                #expect(first.map(\.inserted) == [2, 2, 2, 2, 1, 2])
                let again = try await pool.withConnection { db in try SupplyImporter().importFiles(paths, into: db) }
                #expect(again.allSatisfy { $0.inserted == 0 && $0.updated == 0 }, "re-import changes nothing")
                // A changed row with the same id updates it.
                try files.write("contracts.csv", SupplyFixture.files["contracts.csv"]!.replacingOccurrences(of: "2.00,0", with: "2.10,0"))
                let changed = try await pool.withConnection { db in try SupplyImporter().importFiles([files.path("contracts.csv")], into: db) }
                #expect(changed[0].updated == 1 && changed[0].inserted == 0 && changed[0].unchanged == 1)
                let price = try await pool.withConnection { db in
                    try db.scalar("SELECT price_per_gpu_hour FROM reserved_contracts WHERE id = 'r-us-1'", as: ExactDecimal.self)
                }
                #expect(price == (try ExactDecimal(parsing: "2.10")))
                let description = try await pool.withConnection { db in
                    try db.scalar("SELECT description FROM gpu_types WHERE id = 'H100'", as: String.self)
                }
                #expect(description == "NVIDIA H100 80GB, SXM")
            }
        }
    }

    @Test func everyBadRowIsReportedWithFileLineColumnAndValueAndNothingLoads() async throws {
        var files = SupplyFixture.files
        files["contracts.csv"] = """
            id,site_id,gpu_type_id,gpu_count,starts_at,ends_at,price_per_gpu_hour,upfront_fee
            r-1,nowhere,H100,10,2026-11-01T00:00:00Z,2026-12-01T00:00:00Z,2.00,0
            r-2,us-east,H100,0,2026-11-01T00:00:00Z,2026-12-01T00:00:00Z,2.00,0
            r-3,us-east,H100,-4,2026-11-01T00:00:00Z,2026-12-01T00:00:00Z,2.00,0
            r-4,us-east,H100,1,2026-12-01T00:00:00Z,2026-11-01T00:00:00Z,2.00,0
            r-5,us-east,H100,1,2026-11-01T00:00:00Z,2026-12-01T00:00:00Z,2.0.0,0
            r-6,us-east,H100,1,2026-11-01T00:00:00Z,2026-12-01T00:00:00Z,1e3,0
            r-1,us-east,H100,1,2026-11-01T00:00:00Z,2026-12-01T00:00:00Z,1,0
            r-8,us-east,H100,1,2026-11-01,2026-12-01T00:00:00Z,1,0
            r-9,us-east,H100,1
            """
        files["sites.csv"] = """
            id,provider,country,currency
            us-east,Acme,US,USD
            de-fra,Hetz,DE,EURO
            """
        try await withFiles(files) { temp in
            try await TestDatabase.withSchema { pool, _ in
                let paths = SupplyFixture.order.map(temp.path)
                do {
                    _ = try await pool.withConnection { db in try SupplyImporter().importFiles(paths, into: db) }
                    Issue.record("expected the import to fail")
                } catch let error as ImportError {
                    let text = error.problems.map(\.description)
                    let contracts = temp.path("contracts.csv")
                    let expected = [
                        "\(temp.path("sites.csv")):3: currency 'EURO': not an ISO 4217 currency code",
                        "\(contracts):2: site_id 'nowhere': unknown site",
                        "\(contracts):3: gpu_count '0': must be greater than zero",
                        "\(contracts):4: gpu_count '-4': must be greater than zero",
                        "\(contracts):5: ends_at '2026-11-01T00:00:00Z': must be after starts_at (2026-12-01T00:00:00Z)",
                        "\(contracts):6: price_per_gpu_hour '2.0.0': not a decimal number",
                        "\(contracts):7: price_per_gpu_hour '1e3': not a decimal number",
                        "\(contracts):8: id 'r-1': already defined at \(contracts):2",
                        "\(contracts):9: starts_at '2026-11-01': not a timestamp with a zone (e.g. 2026-11-01T00:00:00Z)",
                        "\(contracts):10: has 4 fields, the header has 8",
                    ]
                    for line in expected {
                        #expect(text.contains(line), "missing: \(line)\n got: \(text.joined(separator: "\n"))")
                    }
                }
                let counts = try await pool.withConnection { db in
                    try db.scalar("SELECT (SELECT count(*) FROM sites) + (SELECT count(*) FROM reserved_contracts) + (SELECT count(*) FROM allocations)", as: Int.self)
                }
                #expect(counts == 0, "a file with any bad row loads nothing, and neither do the others")
            }
        }
    }

    @Test func lineNumbersCountNewlinesInsideQuotedFields() async throws {
        let files = [
            "gpu.csv": "id,memory_gb,description\nH100,80,\"two\nlines\"\n\nL40S,0,x\n"
        ]
        try await withFiles(files) { temp in
            try await TestDatabase.withSchema { pool, _ in
                await #expect {
                    try await pool.withConnection { db in try SupplyImporter().importFiles([temp.path("gpu.csv")], into: db) }
                } throws: { "\($0)".contains("gpu.csv:5: memory_gb '0': must be greater than zero") }
            }
        }
    }

    /// Found by the FuzzSupplyCSV fuzzer: a header naming a column twice
    /// crashed `supply import` (a trap building the column index).
    @Test func aHeaderNamingAColumnTwiceIsRefusedNotACrash() async throws {
        let file = "model,input_weight,cached_weight,output_weight,cached_weight\nllama,1,0.1,4,0.2\n"
        try await withFiles(["w.csv": file]) { temp in
            try await TestDatabase.withSchema { pool, _ in
                await #expect {
                    try await pool.withConnection { db in try SupplyImporter().importFiles([temp.path("w.csv")], into: db) }
                } throws: { "\($0)".contains("w.csv:1") && "\($0)".contains("cached_weight: given twice in the header") }
            }
        }
    }

    @Test func anUnknownHeaderSaysWhatKindsExist() async throws {
        try await withFiles(["x.csv": "foo,bar\n1,2\n"]) { temp in
            try await TestDatabase.withSchema { pool, _ in
                await #expect {
                    try await pool.withConnection { db in try SupplyImporter().importFiles([temp.path("x.csv")], into: db) }
                } throws: { "\($0)".contains("matches no supply file kind") && "\($0)".contains("reserved_contracts:") }
            }
        }
    }

    @Test func rowsTouchingAClosedMonthAreRefused() async throws {
        try await withFiles { files in
            try await TestDatabase.withSchema { pool, _ in
                let paths = SupplyFixture.order.map(files.path)
                _ = try await pool.withConnection { db in try SupplyImporter().importFiles(paths, into: db) }
                try await pool.withConnection { db in
                    try db.execute("INSERT INTO closed_periods (month, reason) VALUES ('2026-11-01', 'invoices finalized')")
                }
                // Changing November's contract is refused …
                try files.write("contracts.csv", SupplyFixture.files["contracts.csv"]!.replacingOccurrences(of: "2.00,0", with: "2.10,0"))
                await #expect {
                    try await pool.withConnection { db in try SupplyImporter().importFiles([files.path("contracts.csv")], into: db) }
                } throws: { "\($0)".contains("contracts.csv:2: would change a closed month") }
                // … and so is a new allocation in November, or a site's new currency,
                try files.write("alloc2.csv", "hour,site_id,gpu_type_id,model,gpus_used\n2026-11-02T00:00:00Z,us-east,H100,m,1\n")
                await #expect(throws: ImportError.self) {
                    try await pool.withConnection { db in try SupplyImporter().importFiles([files.path("alloc2.csv")], into: db) }
                }
                try files.write("sites2.csv", "id,provider,country,currency\nus-east,Acme,US,CAD\n")
                await #expect(throws: ImportError.self) {
                    try await pool.withConnection { db in try SupplyImporter().importFiles([files.path("sites2.csv")], into: db) }
                }
                // … while December is open, and a new site is fine.
                try files.write("dec.csv", """
                    id,site_id,gpu_type_id,gpu_count,starts_at,ends_at,price_per_gpu_hour
                    r-dec,us-east,H100,10,2026-12-01T00:00:00Z,2027-01-01T00:00:00Z,2.00
                    """)
                try files.write("sites3.csv", "id,provider,country,currency\njp-tyo,Sakura,JP,JPY\n")
                let ok = try await pool.withConnection { db in
                    try SupplyImporter().importFiles([files.path("dec.csv"), files.path("sites3.csv")], into: db)
                }
                #expect(ok.map(\.inserted) == [1, 1])
                let price = try await pool.withConnection { db in
                    try db.scalar("SELECT price_per_gpu_hour FROM reserved_contracts WHERE id = 'r-us-1'", as: ExactDecimal.self)
                }
                #expect(price == 2, "the refused change wrote nothing")
            }
        }
    }

    @Test func costFromTheDatabaseMatchesTheHandComputedFigures() async throws {
        try await withFiles { files in
            try await TestDatabase.withSchema { pool, _ in
                _ = try await pool.withConnection { db in try SupplyImporter().importFiles(SupplyFixture.order.map(files.path), into: db) }
                let report = try await pool.withConnection { db in
                    let period = try CostPeriod(from: try UTCTimestamp(parsing: "2026-11-01T00:00:00Z"), to: try UTCTimestamp(parsing: "2026-11-01T01:00:00Z"))
                    return try CostReport(ledger: try SupplyStore(db).ledger(for: period), by: .model)
                }
                // Hour 0 of us-east/H100: 10 reserved × $2 + 4 spot × $1.50 = $26 for 14 GPU-h.
                // de-fra/L40S: 2 × €0.50 × 1.10 = $1.10, stranded.
                #expect(report.totals.purchaseCost == (try ExactDecimal(parsing: "27.1")))
                #expect(report.totals.strandedCost == (try ExactDecimal(parsing: "1.1")))
                let llama = try #require(report.rows.first { $0.key == "llama-3.1-70b" })
                let qwen = try #require(report.rows.first { $0.key == "qwen-2.5-72b" })
                // Used: 3 × 26/14 and 5 × 26/14; idle 6 × 26/14 shared 3:5.
                #expect(try (llama.fullyLoadedCost + qwen.fullyLoadedCost) == 26)
                #expect(try llama.fullyLoadedCost == ExactDecimal(parsing: "9.75"))
                #expect(llama.tokens == TokenCounts(input: 1_000_000, cachedInput: 0, output: 500_000))
            }
        }
    }
}
