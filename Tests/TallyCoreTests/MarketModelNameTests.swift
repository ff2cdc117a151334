import Testing
import TallyCore

@Suite("Market model names")
struct MarketModelNameTests {
    @Test(arguments: [
        ("llama-3.3-70b-instruct", "llama-3.3-70b"),
        ("deepinfra/meta-llama/Llama-3.3-70B-Instruct-Turbo", "llama-3.3-70b"),
        ("cloudflare/@cf/meta/llama-3.3-70b-instruct-fp8-fast", "llama-3.3-70b"),
        ("sambanova/Meta-Llama-3.3-70B-Instruct", "llama-3.3-70b"),
        ("qwen-2.5-72b-instruct", "qwen-2.5-72b"),
        ("together_ai/Qwen/Qwen2.5-72B-Instruct-Turbo", "qwen-2.5-72b"),
        ("gemma-2-9b-it", "gemma-2-9b"),
        ("deepseek-v3", "deepseek-v3"),
        ("mixtral-8x7b-instruct", "mixtral-8x7b"),
        ("groq/llama-3.3-70b-versatile", "llama-3.3-70b"),
    ])
    func spellingsOfOneModelShareAKey(name: String, key: String) {
        #expect(MarketModelName.key(name) == key)
    }

    @Test func perTokenPricesBecomeExactPricesPerMillion() throws {
        #expect(try ExactDecimal(parsing: "7.1e-07", allowExponent: true, timesPowerOfTen: 6) == ExactDecimal(parsing: "0.71"))
        // A float artefact per token (22 places) is exact per 1M (16 places).
        #expect(try ExactDecimal(parsing: "2.9999900000000002e-06", allowExponent: true, timesPowerOfTen: 6).description == "2.9999900000000002")
        #expect(try ExactDecimal(parsing: "0.0", allowExponent: true, timesPowerOfTen: 6) == .zero)
    }
}
