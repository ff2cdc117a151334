import ArgumentParser
import Foundation
import TallyCore
import TallyDatabase
import TallyDemo

struct SupplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "supply",
        abstract: "Load what capacity costs: sites, GPU types, contracts, spot buys, FX, allocations.",
        subcommands: [Import.self, Generate.self]
    )

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import supply CSV files (one kind per file, told apart by the header).",
            discussion: """
                Kinds and their columns (optional ones in brackets); see docs/supply-data.md:
                  sites               id,provider,country,currency
                  gpu_types           id,memory_gb[,description]
                  fx_rates            day,currency,rate        (1 unit = rate × reporting currency)
                  reserved_contracts  id,site_id,gpu_type_id,gpu_count,starts_at,ends_at,price_per_gpu_hour[,upfront_fee]
                  capacity_purchases  id,kind,site_id,gpu_type_id,gpu_count,starts_at,ends_at,price_per_gpu_hour[,preempted_at]
                  allocations         hour,site_id,gpu_type_id,model,gpus_used[,input_tokens,cached_input_tokens,output_tokens]
                  compute_weights     model,input_weight,cached_weight,output_weight

                Every row is validated; all problems are listed with file:line, column and \
                value, and then nothing is imported (exit status 1). All files load in one \
                transaction. Importing the same file again changes nothing; a changed row \
                with the same id is updated, unless it touches a closed month (finalized \
                invoices), which is refused.
                """
        )

        @Argument(help: "CSV files to import.")
        var files: [String]

        func run() throws {
            let db = try DatabaseTarget().migratedConnection()
            let summaries = try SupplyImporter().importFiles(files, into: db)
            for s in summaries {
                print("\(s.file): \(s.kind.rawValue), \(s.rows) rows: \(s.inserted) new, \(s.updated) changed, \(s.unchanged) unchanged")
            }
        }
    }

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a realistic, reproducible month of supply CSV files (demo and benchmark data).",
            discussion: """
                40 sites in 15 countries with their currencies and daily FX, six GPU types, \
                reserved contracts (some starting mid-month, some with upfront fees), spot \
                and on-demand buys at peaks (some preempted), and hourly allocations of 30 \
                open models with the tokens they served (~500,000 rows at full scale). \
                The same seed writes the same files.
                """
        )

        @Option(help: "The month, YYYY-MM.")
        var month: String

        @Option(help: "Output folder.")
        var out: String

        @Option(help: "Number of sites (1-40).")
        var sites = 40

        @Option(help: "Number of GPU types (1-6).")
        var gpuTypes = 6

        @Option(help: "Random seed.")
        var seed: UInt64 = 2026

        func run() throws {
            guard let month = try? BillingMonth(parsing: month) else {
                throw ValidationError("--month must be YYYY-MM, got '\(self.month)'")
            }
            guard (1...40).contains(sites), (1...6).contains(gpuTypes) else {
                throw ValidationError("--sites must be 1-40 and --gpu-types 1-6")
            }
            var generator = SupplyGenerator(month: month)
            generator.siteCount = sites
            generator.gpuTypeCount = gpuTypes
            generator.seed = seed
            let output = try generator.write(to: URL(fileURLWithPath: out))
            for file in output.files { print(file) }
            print("\(output.allocationRows) allocation rows")
        }
    }
}
