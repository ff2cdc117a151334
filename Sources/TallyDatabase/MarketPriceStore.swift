import Foundation
import TallyCore
import TallyPostgres
import Yams

/// Market reference prices from LiteLLM's `model_prices_and_context_window.json`.
///
/// The JSON is read with Yams (JSON is YAML), whose nodes keep each number's
/// text, so `7.1e-07` per token becomes exactly 0.71 per 1M tokens: no
/// binary float ever holds a price. Chat models with both an input and an
/// output price are kept; the table replaces the previous import in one
/// transaction (it is a snapshot of the market).
public struct MarketPriceStore {
    let db: PostgresConnection

    public init(_ db: PostgresConnection) {
        self.db = db
    }

    public struct Price: Sendable, Equatable {
        public let sourceKey: String
        public let provider: String
        public let modelKey: String
        public let input: ExactDecimal
        public let cachedInput: ExactDecimal?
        public let output: ExactDecimal
    }

    /// Parses the file; every entry that is not a priced chat model is skipped,
    /// a price that is not an exact decimal is a problem naming the entry.
    public static func parse(path: String) throws -> (prices: [Price], skipped: Int) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ImportError([ImportProblem(file: path, line: nil, "cannot read the file as UTF-8 text")])
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ImportError([RateCardFile.yamlProblem(error, path)])
        }
        guard let root, case .mapping(let entries) = root else {
            throw ImportError([ImportProblem(file: path, line: 1, "expected a JSON object of models")])
        }
        var prices: [Price] = []
        var problems: [ImportProblem] = []
        var skipped = 0
        for (keyNode, value) in entries {
            guard case .scalar(let key) = keyNode, key.string != "sample_spec", case .mapping(let fields) = value else {
                skipped += 1
                continue
            }
            func scalar(_ name: String) -> Node.Scalar? {
                for (k, v) in fields {
                    if case .scalar(let s) = k, s.string == name, case .scalar(let scalar) = v { return scalar }
                }
                return nil
            }
            guard scalar("mode")?.string == "chat", let inputText = scalar("input_cost_per_token"),
                let outputText = scalar("output_cost_per_token"), let provider = scalar("litellm_provider")?.string
            else {
                skipped += 1
                continue
            }
            func perMillion(_ s: Node.Scalar) -> ExactDecimal? {
                guard let price = try? ExactDecimal(parsing: s.string, allowExponent: true, timesPowerOfTen: 6), !price.isNegative else {
                    problems.append(ImportProblem(file: path, line: s.mark?.line, column: key.string, value: s.string, "not an exact price per token"))
                    return nil
                }
                return price
            }
            let cached = scalar("cache_read_input_token_cost").flatMap { $0.string == "null" ? nil : perMillion($0) }
            guard let input = perMillion(inputText), let output = perMillion(outputText) else { continue }
            prices.append(Price(sourceKey: key.string, provider: provider, modelKey: MarketModelName.key(key.string),
                                input: input, cachedInput: cached, output: output))
        }
        guard problems.isEmpty else { throw ImportError(problems) }
        return (prices, skipped)
    }

    /// Replaces the market table with `prices`.
    public func replace(with prices: [Price], source: String) throws {
        try db.transaction {
            try db.execute("DELETE FROM market_prices")
            try db.copyIn("COPY market_prices (source_key, provider, model_key, input_per_million, cached_per_million, output_per_million, source) FROM STDIN") { w in
                for p in prices {
                    try w.row([p.sourceKey, p.provider, p.modelKey, p.input.description, p.cachedInput?.description, p.output.description, source])
                }
            }
        }
    }

    /// Providers' prices for a model (matched by normalized name), cheapest output first.
    public func prices(model: String) throws -> [Price] {
        try db.execute(
            """
            SELECT source_key, provider, model_key, input_per_million, cached_per_million, output_per_million
            FROM market_prices WHERE model_key = \(MarketModelName.key(model))
            ORDER BY output_per_million, input_per_million, source_key
            """
        ).map { row in
            Price(sourceKey: try row.decode(0), provider: try row.decode(1), modelKey: try row.decode(2), input: try row.decode(3),
                  cachedInput: try row.decode(4, as: ExactDecimal?.self), output: try row.decode(5))
        }
    }
}
