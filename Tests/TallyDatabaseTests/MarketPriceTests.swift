import Foundation
import Testing
import TallyCore
import TallyDatabase
import TallyPostgres
import TallyTesting

@Suite("Market reference prices")
struct MarketPriceTests {
    @Test func importsTheShippedLiteLLMTableExactly() async throws {
        let path = TestDatabase.projectRoot.appendingPathComponent("data/litellm-model-prices-1.110.2.json").path
        let (prices, skipped) = try MarketPriceStore.parse(path: path)
        #expect(prices.count > 3_000 && skipped > 0)
        let azure = try #require(prices.first { $0.sourceKey == "azure_ai/Llama-3.3-70B-Instruct" })
        #expect(azure.input == (try ExactDecimal(parsing: "0.71")) && azure.provider == "azure_ai" && azure.modelKey == "llama-3.3-70b")
        try await TestDatabase.withSchema { pool, _ in
            try await pool.withConnection { db in
                let store = MarketPriceStore(db)
                try store.replace(with: prices, source: "litellm")
                try store.replace(with: prices, source: "litellm")  // a re-import replaces, never doubles
                let llama = try store.prices(model: "llama-3.3-70b-instruct")
                #expect(llama.count >= 10)
                #expect(llama.map(\.output) == llama.map(\.output).sorted())
                #expect(try db.scalar("SELECT count(*) FROM market_prices", as: Int.self) == prices.count)
            }
        }
    }

    @Test func aPriceThatIsNotANumberIsAProblemWithItsLine() throws {
        let temp = try TemporaryFiles(["m.json": """
            {
              "p/model-a": {"litellm_provider": "p", "mode": "chat", "input_cost_per_token": 1e-06, "output_cost_per_token": "cheap"}
            }
            """])
        defer { temp.remove() }
        #expect {
            try MarketPriceStore.parse(path: temp.path("m.json"))
        } throws: { "\($0)".contains("m.json:2: p/model-a 'cheap': not an exact price per token") }
    }
}
