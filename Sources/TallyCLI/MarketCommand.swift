import ArgumentParser
import Foundation
import TallyCore
import TallyDatabase
import TallyPresentation

struct MarketCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "market",
        abstract: "Market reference prices (LiteLLM's public price table), for quotes.",
        subcommands: [Import.self, Show.self]
    )

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import LiteLLM's model_prices_and_context_window.json (replaces the previous import).",
            discussion: "Per-token prices are read exactly from their text (7.1e-07 → 0.71 per 1M). The litellm package on PyPI ships the file.")
        @Argument(help: "The JSON file.") var file: String

        func run() throws {
            let (prices, skipped) = try MarketPriceStore.parse(path: file)
            try MarketPriceStore(try DatabaseTarget().migratedConnection()).replace(with: prices, source: URL(fileURLWithPath: file).lastPathComponent)
            print("\(prices.count) priced chat models imported (\(skipped) other entries skipped), \(Set(prices.map(\.provider)).count) providers")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Providers' prices per 1M tokens for a model, with min / median / max.",
            discussion: "Names match across spellings: see MarketModelName (llama-3.3-70b-instruct matches Llama-3.3-70B-Instruct-Turbo).")
        @Argument(help: "A model, e.g. llama-3.3-70b-instruct.") var model: String
        @Option(help: "table, csv or json.") var format: OutputFormat = .table

        func run() throws {
            let prices = try MarketPriceStore(try DatabaseTarget().migratedConnection()).prices(model: model)
            // A model the table does not price is a name that does not exist (bad input), not an empty report.
            guard !prices.isEmpty else {
                throw ValidationError("""
                    no market prices for '\(model)' (key \(MarketModelName.key(model))) in the imported market table; \
                    give a model it prices (names match across spellings), or import the table first: tally market import FILE
                    """)
            }
            // Prices exactly as the table states them (at least 2 places); a missing one is "-" in text, null in JSON.
            func show(_ d: ExactDecimal?) -> String { d.map { $0.formatted(places: max(2, $0.decimalPlaces)) } ?? "-" }
            let output = TabularOutput(
                header: ["provider", "model", "input per 1M", "cached per 1M", "output per 1M"],
                rows: prices.map { [$0.provider, $0.sourceKey, show($0.input), show($0.cachedInput), show($0.output)] },
                textColumns: [0, 1])
            let range = try MarketRange(prices: prices.map(\.output))
            switch format {
            case .table:
                print(output.table())
                if let range {
                    print("\noutput per 1M across \(range.offers) offers: min \(show(range.min)), median \(show(range.median)), max \(show(range.max))")
                }
            case .csv:
                print(try output.csv(), terminator: "")
            case .json:
                func value(_ d: ExactDecimal?) -> JSONValue { d.map { .text(show($0)) } ?? .null }
                let document: JSONValue = .object([
                    "model": .text(model), "key": .text(MarketModelName.key(model)),
                    "prices": .list(prices.map { p -> JSONValue in
                        .object(["provider": .text(p.provider), "model": .text(p.sourceKey), "input_per_million": value(p.input),
                                 "cached_input_per_million": value(p.cachedInput), "output_per_million": value(p.output)])
                    }),
                    "output_range": range.map { r -> JSONValue in
                        .object(["min": value(r.min), "median": value(r.median), "max": value(r.max), "offers": .number(r.offers)])
                    } ?? .null,
                ])
                print(try TabularOutput.encode(document))
            }
        }
    }
}
