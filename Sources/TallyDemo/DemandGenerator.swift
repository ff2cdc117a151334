import Foundation
import TallyCore

/// Writes the demo month's usage events (NDJSON) so that customers are billed
/// for exactly the tokens the supply data says were served: each served
/// (hour, site, model) is split among customers who use that model. Revenue
/// and cost then describe the same tokens, and the margin report means
/// something.
///
/// At the spec's 500 billion tokens a day, one demo event stands for a batch of
/// requests (an API key's traffic of a few minutes): `events` sets how many
/// there are. Every served model-site-hour gets at least one event, and enough
/// that no event carries more than ``maximumTokensPerEvent`` of a class (the
/// ingester rejects counts above 100 million as absurd).
///
/// Like real traffic, each customer uses a handful of favourite models
/// through one to four API keys, a few large customers send most tokens, and
/// a share of events is re-sent (duplicates, as client retries produce).
public struct DemandGenerator {
    public var seed: UInt64 = 11
    public let month: BillingMonth
    public let served: [ServedHour]
    public let customers: [String]
    /// Target number of events (before duplicates).
    public var events: Int
    /// Fraction of events re-sent, in percent.
    public var duplicatePercent = 1

    public static let maximumTokensPerEvent: Int64 = 90_000_000

    public init(month: BillingMonth, served: [ServedHour], customers: [String], events: Int) {
        self.month = month
        self.served = served
        self.customers = customers
        self.events = events
    }

    public struct Output: Sendable, Equatable {
        /// Lines written, duplicates included.
        public var lines = 0
        /// Tokens in the distinct events: equal to the served tokens.
        public var tokens = TokenCounts.zero
    }

    @discardableResult
    public func write(ndjson url: URL) throws -> Output {
        precondition(!customers.isEmpty, "the demand needs customers")
        var random = SeededRandom(seed: seed)
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let file = try FileHandle(forWritingTo: url)
        defer { try? file.close() }

        // Models by popularity (served tokens), so favourites lean to the popular ones.
        var modelTotals: [String: Int64] = [:]
        for s in served { modelTotals[s.key.model, default: 0] += s.tokens.total }
        let models = modelTotals.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map(\.key)
        let modelIndex = Dictionary(uniqueKeysWithValues: models.enumerated().map { ($1, $0) })
        func skewed(_ n: Int) -> Int { min(n - 1, Int(Double(n) * pow(Double.random(in: 0..<1, using: &random), 2.0))) }  // not money: sampling weights

        // Who uses which model, with what weight (a few large customers, a long tail).
        var users = [[(customer: Int, weight: Int)]](repeating: [], count: models.count)
        let keys = customers.map { _ in Int.random(in: 1...4, using: &random) }
        // Size ranks drawn at random, so the largest customers are not simply the first ids.
        let rank = Array(customers.indices).shuffled(using: &random)
        for c in customers.indices {
            let weight = 1_000_000 / (rank[c] + 1) + Int.random(in: 1_000...20_000, using: &random)
            var favourites = Set<Int>()
            for _ in 0..<Int.random(in: 1...5, using: &random) where !models.isEmpty { favourites.insert(skewed(models.count)) }
            for m in favourites.sorted() { users[m].append((c, weight)) }
        }
        for m in users.indices where users[m].isEmpty {
            users[m].append(((m * 7) % customers.count, 10_000))
        }

        // Running weight totals per model: a customer is drawn by binary search
        // (the first whose running total exceeds the draw), not a scan per event.
        let runningWeights = users.map { list in
            var total = 0
            return list.map { total += $0.weight; return total }
        }
        let totalTokens = max(1, served.reduce(Int64(0)) { $0 + $1.tokens.total })
        var output = Output()
        var chunk: [UInt8] = []
        var cumulative: Int64 = 0
        var eventsSoFar = 0
        var id = 0
        for s in served {
            cumulative += s.tokens.total
            let due = Int((Double(cumulative) / Double(totalTokens) * Double(events)).rounded())  // not money: share of the event budget
            let largest = max(s.tokens.input, s.tokens.cachedInput, s.tokens.output)
            // Parts weigh 5…10, so no part exceeds 2/k of its class.
            let needed = Int((2 * largest + Self.maximumTokensPerEvent - 1) / Self.maximumTokensPerEvent)
            let k = max(1, due - eventsSoFar, needed)
            eventsSoFar += k

            let m = modelIndex[s.key.model]!
            let candidates = users[m]
            let running = runningWeights[m]
            let weightSum = running.last!
            let parts = (0..<k).map { _ in Int64.random(in: 5...10, using: &random) }
            let partSum = parts.reduce(0, +)
            var given = TokenCounts.zero
            for j in 0..<k {
                let pick = Int.random(in: 0..<weightSum, using: &random)
                var low = 0
                var high = running.count - 1
                while low < high {
                    let mid = (low + high) / 2
                    if running[mid] > pick { high = mid } else { low = mid + 1 }
                }
                let c = candidates[low].customer
                let tokens: TokenCounts
                if j == k - 1 {
                    tokens = TokenCounts(input: s.tokens.input - given.input, cachedInput: s.tokens.cachedInput - given.cachedInput,
                                         output: s.tokens.output - given.output)
                } else {
                    tokens = TokenCounts(input: s.tokens.input * parts[j] / partSum, cachedInput: s.tokens.cachedInput * parts[j] / partSum,
                                         output: s.tokens.output * parts[j] / partSum)
                }
                given = given + tokens
                let customer = customers[c]
                let at = month.start.adding(
                    microseconds: Int64(s.key.hour) * UTCTimestamp.microsecondsPerHour + Int64.random(in: 0..<3_600, using: &random) * 1_000_000)
                let tag = "key-\(customer.prefix(8))-\(Int.random(in: 1...keys[c], using: &random))"
                let line = "{\"id\":\"dm-\(id)\",\"customer\":\"\(customer)\",\"model\":\"\(s.key.model)\",\"timestamp\":\"\(UsageGenerator.rfc3339(at))\",\"input_tokens\":\(tokens.input),\"cached_input_tokens\":\(tokens.cachedInput),\"output_tokens\":\(tokens.output),\"site\":\"\(s.key.site)\",\"tag\":\"\(tag)\"}\n"
                id += 1
                let copies = Int.random(in: 0..<100, using: &random) < duplicatePercent ? 2 : 1
                for _ in 0..<copies { chunk += line.utf8 }
                output.lines += copies
                if chunk.count > 1 << 20 {
                    file.write(Data(chunk))
                    chunk.removeAll(keepingCapacity: true)
                }
            }
            output.tokens = output.tokens + given
        }
        file.write(Data(chunk))
        return output
    }
}
