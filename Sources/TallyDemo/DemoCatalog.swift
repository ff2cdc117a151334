import TallyCore

/// The demo world: 40 data centers in 15 countries, six GPU types, thirty
/// open models. Prices and throughputs follow public anchors (listed in
/// docs/demo.md): reserved H100 about $2.0–2.8 per GPU-hour, spot 40–60% of
/// on-demand.
public enum DemoCatalog {
    public struct Country: Sendable {
        public let code: String
        public let currency: String
        /// Units of USD per unit of the currency, around the demo month.
        public let usdRate: String
        public let sites: [String]
    }

    public static let countries: [Country] = [
        Country(code: "US", currency: "USD", usdRate: "1", sites: ["us-ashburn-1", "us-ashburn-2", "us-dallas-1", "us-phoenix-1", "us-portland-1", "us-chicago-1", "us-atlanta-1", "us-seattle-1"]),
        Country(code: "CA", currency: "CAD", usdRate: "0.7310", sites: ["ca-montreal-1", "ca-toronto-1"]),
        Country(code: "GB", currency: "GBP", usdRate: "1.2650", sites: ["gb-london-1", "gb-slough-1", "gb-manchester-1"]),
        Country(code: "DE", currency: "EUR", usdRate: "1.0820", sites: ["de-frankfurt-1", "de-frankfurt-2", "de-berlin-1"]),
        Country(code: "FR", currency: "EUR", usdRate: "1.0820", sites: ["fr-paris-1", "fr-marseille-1"]),
        Country(code: "NL", currency: "EUR", usdRate: "1.0820", sites: ["nl-amsterdam-1", "nl-eemshaven-1"]),
        Country(code: "FI", currency: "EUR", usdRate: "1.0820", sites: ["fi-hamina-1", "fi-helsinki-1"]),
        Country(code: "SE", currency: "SEK", usdRate: "0.0955", sites: ["se-stockholm-1", "se-lulea-1"]),
        Country(code: "NO", currency: "NOK", usdRate: "0.0930", sites: ["no-oslo-1", "no-stavanger-1"]),
        Country(code: "CH", currency: "CHF", usdRate: "1.1310", sites: ["ch-zurich-1", "ch-geneva-1"]),
        Country(code: "JP", currency: "JPY", usdRate: "0.006710", sites: ["jp-tokyo-1", "jp-tokyo-2", "jp-osaka-1"]),
        Country(code: "KR", currency: "KRW", usdRate: "0.000728", sites: ["kr-seoul-1", "kr-busan-1"]),
        Country(code: "SG", currency: "SGD", usdRate: "0.7430", sites: ["sg-singapore-1", "sg-singapore-2"]),
        Country(code: "IN", currency: "INR", usdRate: "0.01195", sites: ["in-mumbai-1", "in-chennai-1", "in-hyderabad-1"]),
        Country(code: "AU", currency: "AUD", usdRate: "0.6520", sites: ["au-sydney-1", "au-melbourne-1"]),
    ]

    public struct GPU: Sendable {
        public let id: String
        public let memoryGB: Int
        public let description: String
        /// Reserved price in USD per GPU-hour, in cents (low...high).
        public let reservedCents: ClosedRange<Int>
        public let onDemandCents: Int
        /// Typical reserved fleet per site: sized so the demo broker serves
        /// roughly the spec's 500 billion tokens a day.
        public let fleet: ClosedRange<Int>
    }

    public static let gpus: [GPU] = [
        GPU(id: "H100-80G", memoryGB: 80, description: "NVIDIA H100 80GB SXM", reservedCents: 200...280, onDemandCents: 349, fleet: 8...32),
        GPU(id: "H200-141G", memoryGB: 141, description: "NVIDIA H200 141GB SXM", reservedCents: 280...320, onDemandCents: 459, fleet: 4...16),
        GPU(id: "A100-80G", memoryGB: 80, description: "NVIDIA A100 80GB SXM", reservedCents: 110...130, onDemandCents: 159, fleet: 4...16),
        GPU(id: "L40S", memoryGB: 48, description: "NVIDIA L40S 48GB", reservedCents: 65...75, onDemandCents: 109, fleet: 2...8),
        GPU(id: "MI300X", memoryGB: 192, description: "AMD Instinct MI300X 192GB", reservedCents: 190...230, onDemandCents: 329, fleet: 2...8),
        GPU(id: "B200", memoryGB: 192, description: "NVIDIA B200 192GB", reservedCents: 420...500, onDemandCents: 649, fleet: 2...8),
    ]

    public struct Model: Sendable {
        public let id: String
        /// Output tokens per second per GPU at full load (public anchors, rounded).
        public let outputTokensPerGPUSecond: Int
        /// Large models run on the big GPUs only.
        public let large: Bool
    }

    public static let models: [Model] = [
        Model(id: "llama-3.1-8b-instruct", outputTokensPerGPUSecond: 15000, large: false),
        Model(id: "llama-3.1-70b-instruct", outputTokensPerGPUSecond: 2100, large: true),
        Model(id: "llama-3.1-405b-instruct", outputTokensPerGPUSecond: 450, large: true),
        Model(id: "llama-3.2-1b-instruct", outputTokensPerGPUSecond: 40000, large: false),
        Model(id: "llama-3.2-3b-instruct", outputTokensPerGPUSecond: 28000, large: false),
        Model(id: "llama-3.3-70b-instruct", outputTokensPerGPUSecond: 2900, large: true),
        Model(id: "llama-4-scout-17b-16e", outputTokensPerGPUSecond: 5200, large: true),
        Model(id: "llama-4-maverick-17b-128e", outputTokensPerGPUSecond: 2400, large: true),
        Model(id: "deepseek-v3", outputTokensPerGPUSecond: 1850, large: true),
        Model(id: "deepseek-r1", outputTokensPerGPUSecond: 1700, large: true),
        Model(id: "deepseek-r1-distill-llama-70b", outputTokensPerGPUSecond: 2600, large: true),
        Model(id: "deepseek-r1-distill-qwen-32b", outputTokensPerGPUSecond: 5600, large: false),
        Model(id: "qwen-2.5-7b-instruct", outputTokensPerGPUSecond: 16000, large: false),
        Model(id: "qwen-2.5-72b-instruct", outputTokensPerGPUSecond: 2700, large: true),
        Model(id: "qwen-2.5-coder-32b-instruct", outputTokensPerGPUSecond: 5600, large: false),
        Model(id: "qwen-3-8b", outputTokensPerGPUSecond: 15000, large: false),
        Model(id: "qwen-3-32b", outputTokensPerGPUSecond: 5500, large: false),
        Model(id: "qwen-3-235b-a22b", outputTokensPerGPUSecond: 2300, large: true),
        Model(id: "qwq-32b", outputTokensPerGPUSecond: 5400, large: false),
        Model(id: "mistral-7b-instruct", outputTokensPerGPUSecond: 16500, large: false),
        Model(id: "mistral-small-24b-instruct", outputTokensPerGPUSecond: 7000, large: false),
        Model(id: "mistral-large-123b", outputTokensPerGPUSecond: 1500, large: true),
        Model(id: "mixtral-8x7b-instruct", outputTokensPerGPUSecond: 7800, large: false),
        Model(id: "mixtral-8x22b-instruct", outputTokensPerGPUSecond: 2600, large: true),
        Model(id: "gemma-2-9b-it", outputTokensPerGPUSecond: 13000, large: false),
        Model(id: "gemma-2-27b-it", outputTokensPerGPUSecond: 6000, large: false),
        Model(id: "gemma-3-27b-it", outputTokensPerGPUSecond: 6200, large: false),
        Model(id: "phi-4", outputTokensPerGPUSecond: 11000, large: false),
        Model(id: "kimi-k2-instruct", outputTokensPerGPUSecond: 1500, large: true),
        Model(id: "gpt-oss-120b", outputTokensPerGPUSecond: 6500, large: true),
    ]

    /// All 40 sites with their country.
    public static var sites: [(id: String, country: Country)] {
        countries.flatMap { country in country.sites.map { ($0, country) } }
    }
}
