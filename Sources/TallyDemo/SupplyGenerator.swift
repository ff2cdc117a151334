import Foundation
import TallyCore

/// Writes a realistic, reproducible month of supply data as the CSV files
/// `tally supply import` reads: sites, GPU types, daily FX, reserved
/// contracts (some starting mid-month, some with upfront fees), spot and
/// on-demand buys at peaks (some preempted) and hourly allocations of the
/// models to the pools, with the tokens they served.
///
/// Allocations never exceed the capacity that is certainly there in an hour
/// (reserved GPUs plus spot GPUs active the whole hour). A few pools are left
/// unused, so the reports show stranded cost.
public struct SupplyGenerator {
    public var seed: UInt64 = 2026
    public var month: BillingMonth
    /// At most 40 (the catalog's sites).
    public var siteCount = 40
    /// At most 6.
    public var gpuTypeCount = 6
    /// Scales every pool's fleet (1 = catalog sizes).
    public var fleetScale = 1

    public init(month: BillingMonth) {
        self.month = month
    }

    public struct Output: Sendable {
        public let files: [String]
        public let allocationRows: Int
        /// Tokens each model served at each site in each hour (all GPU types
        /// together), sorted: what the demo's customers are billed for.
        public let served: [ServedHour]
    }

    private static func day(_ date: CivilDate) -> String { date.description }

    public func write(to directory: URL) throws -> Output {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let hours = (month.next.firstDay.daysSinceEpoch - month.firstDay.daysSinceEpoch) * 24
        let start = month.start
        func hour(_ h: Int) -> UTCTimestamp { start.adding(microseconds: Int64(h) * UTCTimestamp.microsecondsPerHour) }

        let sites = Array(DemoCatalog.sites.prefix(siteCount))
        let gpus = Array(DemoCatalog.gpus.prefix(gpuTypeCount))
        var files: [String] = []
        func save(_ name: String, _ text: String) throws {
            try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
            files.append(directory.appendingPathComponent(name).path)
        }

        var text = "id,provider,country,currency\n"
        let providers = ["CoreWeave", "Lambda", "Nebius", "Crusoe", "Equinix", "Digital Realty", "Vultr", "Scaleway"]
        for (i, site) in sites.enumerated() {
            text += "\(site.id),\(providers[i % providers.count]),\(site.country.code),\(site.country.currency)\n"
        }
        try save("sites.csv", text)

        text = "id,memory_gb,description\n"
        for gpu in gpus { text += "\(gpu.id),\(gpu.memoryGB),\(gpu.description)\n" }
        try save("gpu_types.csv", text)

        // FX: a small daily random walk from a week before the month to its end.
        text = "day,currency,rate\n"
        var baseRates: [String: ExactDecimal] = [:]
        for (c, country) in DemoCatalog.countries.enumerated() where country.currency != "USD" && baseRates[country.currency] == nil {
            var random = SeededRandom(seed: seed &+ 1_000 &+ UInt64(c))
            var rate = try ExactDecimal(parsing: country.usdRate)
            baseRates[country.currency] = rate
            for d in -7..<(hours / 24) {
                let bp = Int.random(in: -40...40, using: &random)  // ±0.4% a day
                rate = try rate.multiplied(by: ExactDecimal(10_000 + bp), dividedBy: 10_000, rounding: .halfEven)
                    .rounded(places: 8, .halfEven)
                text += "\(Self.day(month.firstDay.adding(days: d))),\(country.currency),\(rate)\n"
            }
        }
        try save("fx_rates.csv", text)

        // Reserved contracts and spot buys per pool; remember certain capacity per hour.
        var contracts = "id,site_id,gpu_type_id,gpu_count,starts_at,ends_at,price_per_gpu_hour,upfront_fee\n"
        var spot = "id,kind,site_id,gpu_type_id,gpu_count,starts_at,ends_at,price_per_gpu_hour,preempted_at\n"
        struct PoolPlan { let site: String; let gpu: DemoCatalog.GPU; var capacity: [Int] }
        var pools: [PoolPlan] = []
        for (siteIndex, site) in sites.enumerated() {
            let usdRate = baseRates[site.country.currency] ?? .one
            func local(_ cents: Int) throws -> ExactDecimal {
                try ExactDecimal(cents).divided(by: 100, rounding: .halfEven)
                    .divided(by: usdRate, rounding: .halfEven).rounded(places: 4, .halfEven)
            }
            for (gpuIndex, gpu) in gpus.enumerated() {
                // One random stream per pool: any subset of sites or GPU types
                // generates the same data for the pools it keeps.
                var random = SeededRandom(seed: seed &+ UInt64(siteIndex * 16 + gpuIndex) &* 7_919)
                var capacity = [Int](repeating: 0, count: hours)
                let contractCount = Int.random(in: 1...2, using: &random)
                for c in 0..<contractCount {
                    let count = Int.random(in: gpu.fleet, using: &random) * fleetScale / contractCount
                    // The second contract of a pool often starts mid-month.
                    let startHour = c == 1 && Bool.random(using: &random) ? Int.random(in: 1..<(hours / 24), using: &random) * 24 : -24 * 120
                    let begins = hour(startHour)
                    let ends = hour(hours).adding(microseconds: 24 * 365 * UTCTimestamp.microsecondsPerHour)
                    let price = try local(Int.random(in: gpu.reservedCents, using: &random))
                    let upfront = Int.random(in: 0..<4, using: &random) == 0
                        ? try (price * ExactDecimal(count * 24 * 30)).rounded(places: 0, .halfEven) : ExactDecimal.zero
                    contracts += "rc-\(site.id)-\(gpu.id)-\(c + 1),\(site.id),\(gpu.id),\(count),\(begins),\(ends),\(price),\(upfront)\n"
                    for h in max(0, startHour)..<hours { capacity[h] += count }
                }
                // Spot / on-demand at weekday peaks (13:00–21:00 UTC).
                for n in 0..<Int.random(in: 3...8, using: &random) {
                    let dayIndex = Int.random(in: 0..<(hours / 24), using: &random)
                    let first = dayIndex * 24 + Int.random(in: 13...16, using: &random)
                    let length = Int.random(in: 2...6, using: &random)
                    let count = max(1, Int.random(in: gpu.fleet, using: &random) * fleetScale / 3)
                    let onDemand = Int.random(in: 0..<3, using: &random) == 0
                    let cents = onDemand ? gpu.onDemandCents : gpu.onDemandCents * Int.random(in: 40...60, using: &random) / 100
                    let preemptHour = !onDemand && Int.random(in: 0..<3, using: &random) == 0 ? Int.random(in: 1..<length, using: &random) : nil
                    let preempted = preemptHour.map { hour(first + $0).adding(microseconds: Int64(Int.random(in: 60...3000, using: &random)) * 1_000_000) }
                    spot += "sp-\(site.id)-\(gpu.id)-\(n + 1),\(onDemand ? "on_demand" : "spot"),\(site.id),\(gpu.id),\(count),\(hour(first)),\(hour(first + length)),\(try local(cents)),\(preempted.map(\.description) ?? "")\n"
                    for h in first..<min(first + (preemptHour ?? length), hours) { capacity[h] += count }
                }
                pools.append(PoolPlan(site: site.id, gpu: gpu, capacity: capacity))
            }
        }
        try save("reserved_contracts.csv", contracts)
        try save("capacity_purchases.csv", spot)

        // Allocations: diurnal load, split across the models each pool serves.
        let handle = try createFile(directory.appendingPathComponent("allocations.csv"))
        defer { try? handle.close() }
        var rows = 0
        var chunk = "hour,site_id,gpu_type_id,model,gpus_used,input_tokens,cached_input_tokens,output_tokens\n"
        let bigGPU = Set(["H100-80G", "H200-141G", "MI300X", "B200"])
        var tokensServed: [ServedHour.Key: TokenCounts] = [:]
        for (p, pool) in pools.enumerated() {
            var random = SeededRandom(seed: seed &+ 50_000 &+ UInt64(p))
            if p % 37 == 36 || p == pools.count - 1 { continue }  // a few pools nobody uses: stranded
            let candidates = DemoCatalog.models.filter { bigGPU.contains(pool.gpu.id) ? true : !$0.large }
            let served = Array(candidates.shuffled(using: &random).prefix(Int.random(in: 2...5, using: &random)))
            let weights = served.map { _ in Int.random(in: 1...10, using: &random) }
            let weightSum = weights.reduce(0, +)
            let base = Int.random(in: 55...80, using: &random)
            for h in 0..<hours where pool.capacity[h] > 0 {
                let hourOfDay = h % 24
                let diurnal = [-18, -20, -20, -18, -15, -10, -5, 0, 4, 8, 12, 15, 17, 18, 18, 17, 15, 12, 8, 4, 0, -5, -10, -15][hourOfDay]
                let load = min(98, max(10, base + diurnal + Int.random(in: -6...6, using: &random)))
                // GPUs used in hundredths, never above the certain capacity.
                let total = pool.capacity[h] * load  // × 1/100 GPUs
                var assigned = 0
                for (m, model) in served.enumerated() {
                    let hundredths = m == served.count - 1 ? total - assigned : total * weights[m] / weightSum
                    assigned += hundredths
                    guard hundredths > 0 else { continue }
                    let output = Int64(hundredths) * Int64(model.outputTokensPerGPUSecond) * 36 * Int64(Int.random(in: 15...40, using: &random)) / 100
                    let input = output * Int64(Int.random(in: 2...8, using: &random))
                    let cached = input * Int64(Int.random(in: 10...50, using: &random)) / 100
                    let key = ServedHour.Key(hour: h, site: pool.site, model: model.id)
                    tokensServed[key] = (tokensServed[key] ?? .zero) + TokenCounts(input: input - cached, cachedInput: cached, output: output)
                    chunk += "\(hour(h)),\(pool.site),\(pool.gpu.id),\(model.id),\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100),\(input - cached),\(cached),\(output)\n"
                    rows += 1
                }
                if chunk.utf8.count > 1 << 20 {
                    handle.write(Data(chunk.utf8))
                    chunk = ""
                }
            }
        }
        handle.write(Data(chunk.utf8))
        files.append(directory.appendingPathComponent("allocations.csv").path)
        let servedTokens = tokensServed.map { ServedHour(key: $0.key, tokens: $0.value) }.sorted { $0.key < $1.key }
        return Output(files: files, allocationRows: rows, served: servedTokens)
    }

    private func createFile(_ url: URL) throws -> FileHandle {
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        return try FileHandle(forWritingTo: url)
    }
}
