import Foundation
import TallyCore

/// Writes realistic, reproducible usage events as NDJSON (and optionally the
/// same events as CSV, for baselines). Like real traffic, each customer uses a
/// handful of favourite models through one to four API keys, each model is
/// served from two or three sites, busy customers send most events, and a
/// share of events is re-sent (duplicates, as client retries produce). Events
/// fall within the first `days` days of the month (at the spec's 330 million
/// events a day, a 5-million-event file is about 20 minutes of traffic). Or,
/// as the serving fleet sends them, in time order at a given rate
/// (`perSecond`): then a chunk of a file holds a few minutes of traffic, and
/// its events fall into as few hourly rollup groups as real traffic's do.
public struct UsageGenerator {
    public var seed: UInt64 = 7
    public var month: BillingMonth
    public var events: Int
    public var customers: [String]
    public var models: [String]
    public var sites: [String]
    /// Fraction of events re-sent, in percent.
    public var duplicatePercent = 1
    /// Days of the month the events fall in (from the 1st); nil: the whole month.
    public var days: Int?
    /// When set, events are in time order, this many a second on average,
    /// from `from` (default: the month's start); `days` is then not used.
    public var perSecond: Int?
    public var from: UTCTimestamp?
    /// Event ids are this prefix and the event's number from 0: files meant
    /// to be ingested together need prefixes of their own.
    public var idPrefix = "ev-"

    public init(month: BillingMonth, events: Int, customers: [String], models: [String], sites: [String]) {
        self.month = month
        self.events = events
        self.customers = customers
        self.models = models
        self.sites = sites
    }

    /// The instant after the last event when events are in time order
    /// (`perSecond`): where a following file's events start.
    public var end: UTCTimestamp? {
        perSecond.map { (from ?? month.start).adding(microseconds: Int64(events) * 1_000_000 / Int64($0)) }
    }

    /// Writes `ndjson` (and `csv` when given); returns the number of lines.
    @discardableResult
    public func write(ndjson: URL, csv: URL? = nil) throws -> Int {
        var random = SeededRandom(seed: seed)
        let json = try Self.create(ndjson)
        let table = try csv.map(Self.create)
        defer {
            try? json.close()
            try? table?.close()
        }
        var jsonChunk: [UInt8] = []
        var csvChunk: [UInt8] = Array("id,customer,model,timestamp,input_tokens,cached_input_tokens,output_tokens,site,tag\n".utf8)
        let monthHours = (month.end.microsecondsSinceEpoch - month.start.microsecondsSinceEpoch) / UTCTimestamp.microsecondsPerHour
        let hours = days.map { min(Int64($0) * 24, monthHours) } ?? monthHours
        // Heavier customers and popular models: a skewed pick.
        func skewed(_ n: Int) -> Int { min(n - 1, Int(Double(n) * pow(Double.random(in: 0..<1, using: &random), 2.2))) }  // not money: sampling weights
        // Each customer's favourite models and API keys; each model's sites.
        let favourites = customers.map { _ in (0..<Int.random(in: 1...5, using: &random)).map { _ in models[skewed(models.count)] } }
        let keys = customers.map { _ in Int.random(in: 1...4, using: &random) }
        var modelSites: [String: [String]] = [:]
        for model in models {
            modelSites[model] = (0..<Int.random(in: 2...3, using: &random)).map { _ in sites[Int.random(in: 0..<sites.count, using: &random)] }
        }
        let start = from ?? month.start
        // Microseconds between two events at `perSecond` (fractions kept
        // exactly: event i is at i * 1,000,000 / perSecond).
        let rate = perSecond.map(Int64.init)
        var lines = 0
        for i in 0..<events {
            let c = skewed(customers.count)
            let customer = customers[c]
            let model = favourites[c][Int.random(in: 0..<favourites[c].count, using: &random)]
            let at: UTCTimestamp
            if let rate {
                at = start.adding(microseconds: Int64(i) * 1_000_000 / rate)
            } else {
                let hour = Int64.random(in: 0..<hours, using: &random)
                at = month.start.adding(microseconds: hour * UTCTimestamp.microsecondsPerHour + Int64.random(in: 0..<3_600_000_000, using: &random))
            }
            let input = Int.random(in: 50...6_000, using: &random)
            let cached = Int.random(in: 0...3, using: &random) == 0 ? Int.random(in: 0...input, using: &random) : 0
            let output = Int.random(in: 10...1_200, using: &random)
            let site = modelSites[model]!.randomElement(using: &random)!
            let tag = "key-\(customer.prefix(8))-\(Int.random(in: 1...keys[c], using: &random))"
            let id = "\(idPrefix)\(i)"
            let time = Self.rfc3339(at)
            let line = "{\"id\":\"\(id)\",\"customer\":\"\(customer)\",\"model\":\"\(model)\",\"timestamp\":\"\(time)\",\"input_tokens\":\(input - cached),\"cached_input_tokens\":\(cached),\"output_tokens\":\(output),\"site\":\"\(site)\",\"tag\":\"\(tag)\"}\n"
            let row = "\(id),\(customer),\(model),\(time),\(input - cached),\(cached),\(output),\(site),\(tag)\n"
            let copies = Int.random(in: 0..<100, using: &random) < duplicatePercent ? 2 : 1
            for _ in 0..<copies {
                jsonChunk += Array(line.utf8)
                csvChunk += Array(row.utf8)
                lines += 1
            }
            if jsonChunk.count > 1 << 20 {
                json.write(Data(jsonChunk))
                jsonChunk.removeAll(keepingCapacity: true)
                table?.write(Data(csvChunk))
                csvChunk.removeAll(keepingCapacity: true)
            }
        }
        json.write(Data(jsonChunk))
        table?.write(Data(csvChunk))
        return lines
    }

    static func create(_ url: URL) throws -> FileHandle {
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        return try FileHandle(forWritingTo: url)
    }

    /// Seconds-precision RFC 3339 (what clients send).
    static func rfc3339(_ t: UTCTimestamp) -> String {
        let text = t.description
        if let dot = text.firstIndex(of: ".") { return String(text[..<dot]) + "Z" }
        return text
    }
}
