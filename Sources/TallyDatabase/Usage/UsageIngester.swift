import Foundation
import TallyCore
import TallyPostgres

/// Loads usage events (`tally usage ingest`).
///
/// One pass over the input, constant memory: each line is parsed and
/// validated (known customer, a model some card prices, counts that are whole,
/// not negative and not absurd, an RFC 3339 timestamp); good events stream
/// into a staging table with COPY, bad ones go to the rejects file with their
/// line number and reason. Then one statement inserts the staged events into
/// their month's partition, skipping (customer, event id) pairs already there
/// — exact deduplication — and adds exactly the inserted ones to the hourly
/// rollup. All in one transaction: nothing is half-written.
public struct UsageIngester {
    public enum Format: String, Sendable, CaseIterable {
        case ndjson, csv
    }

    public struct Summary: Sendable, Equatable {
        /// Events read (blank lines are not events).
        public var lines = 0
        public var accepted = 0
        public var duplicates = 0
        public var rejected = 0
        /// Accepted events whose month was already closed (billed as late usage).
        public var late = 0
    }

    let db: PostgresConnection

    public init(_ db: PostgresConnection) {
        self.db = db
    }

    /// `progress` is called now and then with the lines read so far.
    public func ingest(
        path: String, format: Format, rejectsPath: String, progress: ((Int) -> Void)? = nil
    ) throws -> Summary {
        // Known ids as byte strings: lines are checked without building Strings.
        let customers = Set(try db.execute("SELECT id FROM customers").map { Array(try $0.decode(0, as: String.self).utf8)[...] })
        let models = Set(try db.execute("SELECT DISTINCT model FROM rate_card_prices").map { Array(try $0.decode(0, as: String.self).utf8)[...] })
        // Written aside and moved into place only if the ingest commits, so a
        // failed ingest never leaves a rejects file describing a load that did not happen.
        var rejects = try RejectsFile(path: rejectsPath + ".partial")
        defer {
            rejects.close()
            try? FileManager.default.removeItem(atPath: rejectsPath + ".partial")
        }
        var summary = Summary()
        var timer = PhaseTimer()
        defer { timer.report() }

        // Room for the staging table in memory. PostgreSQL accepts this only
        // before the session's first temporary table, so it is best effort, and
        // only outside a transaction, where a refusal cannot abort anything.
        if !db.isInTransaction {
            _ = try? db.execute("SELECT set_config('temp_buffers', '256MB', false)")
        }
        let result = try db.transaction {
            try db.execute(
                """
                CREATE TEMP TABLE stage_usage (
                    line bigint, customer_id text, event_id text, occurred_at timestamptz, model text, site_id text,
                    tag text, input_tokens bigint, cached_input_tokens bigint, output_tokens bigint
                ) ON COMMIT DROP
                """)
            try db.copyIn("COPY stage_usage FROM STDIN") { writer in
                func take(_ line: Int, _ event: EventLineParser.Event) throws {
                    guard customers.contains(event.customer) else {
                        throw EventLineParser.Rejected(reason: "unknown customer '\(String(decoding: event.customer, as: UTF8.self))'")
                    }
                    guard models.contains(event.model) else {
                        throw EventLineParser.Rejected(reason: "unknown model '\(String(decoding: event.model, as: UTF8.self))' (no rate card prices it)")
                    }
                    writer.field(line)
                    try writer.field(utf8: event.customer)
                    try writer.field(utf8: event.id)
                    try writer.field(utf8: event.timestamp)
                    try writer.field(utf8: event.model)
                    try writer.field(utf8: event.site)
                    try writer.field(utf8: event.tag)
                    writer.field(Int(event.input))
                    writer.field(Int(event.cached))
                    writer.field(Int(event.output))
                    try writer.endRow()
                }
                switch format {
                case .ndjson:
                    var reader = try LineReader(path: path)
                    while let (number, bytes) = reader.next() {
                        if number % 250_000 == 0 { progress?(number) }
                        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }  // blank: not an event
                        summary.lines += 1
                        do {
                            try take(number, try EventLineParser.parse(bytes))
                        } catch let rejected as EventLineParser.Rejected {
                            summary.rejected += 1
                            try rejects.write(line: number, reason: rejected.reason, input: String(decoding: bytes, as: UTF8.self))
                        }
                    }
                case .csv:
                    var csv = try CSVFile(path: path)
                    let columns = Dictionary(uniqueKeysWithValues: csv.header.enumerated().map { ($1, $0) })
                    while let (number, fields) = try csv.next() {
                        summary.lines += 1
                        if summary.lines % 250_000 == 0 { progress?(summary.lines) }
                        do {
                            try take(number, try Self.event(fields: fields, columns: columns))
                        } catch let rejected as EventLineParser.Rejected {
                            summary.rejected += 1
                            try rejects.write(line: number, reason: rejected.reason, input: fields.joined(separator: ","))
                        }
                    }
                }
            }
            let staged = summary.lines - summary.rejected
            timer.lap("parse+copy")
            try ensurePartitions()
            let row = try db.execute(
                """
                WITH inserted AS (
                    INSERT INTO usage_events (month, customer_id, event_id, occurred_at, model, site_id, tag,
                                              input_tokens, cached_input_tokens, output_tokens, late)
                    SELECT date_trunc('month', s.occurred_at)::date, s.customer_id, s.event_id, s.occurred_at, s.model,
                           s.site_id, s.tag, s.input_tokens, s.cached_input_tokens, s.output_tokens, c.month IS NOT NULL
                    FROM stage_usage s
                    LEFT JOIN closed_periods c ON c.month = date_trunc('month', s.occurred_at)::date
                    ON CONFLICT DO NOTHING
                    RETURNING customer_id, occurred_at, model, site_id, tag, late, input_tokens, cached_input_tokens, output_tokens
                ), rolled AS (
                    INSERT INTO usage_hourly AS h (customer_id, hour, model, site_id, tag, late,
                                                   input_tokens, cached_input_tokens, output_tokens, events)
                    SELECT customer_id, date_trunc('hour', occurred_at), model, site_id, tag, late,
                           sum(input_tokens), sum(cached_input_tokens), sum(output_tokens), count(*)
                    FROM inserted GROUP BY 1, 2, 3, 4, 5, 6
                    ON CONFLICT (customer_id, hour, model, site_id, tag, late) DO UPDATE SET
                        input_tokens = h.input_tokens + excluded.input_tokens,
                        cached_input_tokens = h.cached_input_tokens + excluded.cached_input_tokens,
                        output_tokens = h.output_tokens + excluded.output_tokens,
                        events = h.events + excluded.events
                    RETURNING 1
                )
                SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM inserted WHERE late), (SELECT count(*) FROM rolled)
                """)[0]
            timer.lap("insert+rollup")
            summary.accepted = try row.decode(0, as: Int.self)
            summary.late = try row.decode(1, as: Int.self)
            summary.duplicates = staged - summary.accepted
            return summary
        }
        rejects.close()
        try? FileManager.default.removeItem(atPath: rejectsPath)
        try FileManager.default.moveItem(atPath: rejectsPath + ".partial", toPath: rejectsPath)
        return result
    }

    /// Creates the monthly partitions the staged events need (once each,
    /// serialized with an advisory lock so two ingests cannot race).
    private func ensurePartitions() throws {
        try db.execute("SELECT pg_advisory_xact_lock(hashtext('tally.usage_partitions'))")
        let months = try db.execute(
            "SELECT DISTINCT date_trunc('month', occurred_at)::date FROM stage_usage ORDER BY 1"
        ).map { try $0.decode(0, as: CivilDate.self) }
        for month in months {
            try db.execute("SELECT ensure_usage_partition(\(month))")
        }
    }

    /// A CSV row as an event, validated by the same rules as NDJSON lines.
    static func event(fields: [String], columns: [String: Int]) throws(EventLineParser.Rejected) -> EventLineParser.Event {
        func field(_ name: String) -> ArraySlice<UInt8> {
            guard let i = columns[name], i < fields.count else { return [] }
            return Array(fields[i].utf8)[...]
        }
        func text(_ name: String, required: Bool = true) throws(EventLineParser.Rejected) -> ArraySlice<UInt8> {
            let value = field(name)
            if required && value.isEmpty { throw EventLineParser.Rejected(reason: "\"\(name)\" is missing") }
            try EventLineParser.checkLength(value, key: name)
            return value
        }
        func count(_ name: String) throws(EventLineParser.Rejected) -> Int64 {
            let value = field(name)
            return value.isEmpty ? 0 : try EventLineParser.tokenCount(value, next: nil, key: name)
        }
        var event = EventLineParser.Event()
        event.id = try text("id")
        event.customer = try text("customer")
        event.model = try text("model")
        event.timestamp = try text("timestamp")
        guard (try? UTCTimestamp(utf8: event.timestamp)) != nil else {
            throw EventLineParser.Rejected(reason: "\"timestamp\" '\(String(decoding: event.timestamp, as: UTF8.self))' is not RFC 3339 with a zone")
        }
        event.input = try count("input_tokens")
        event.cached = try count("cached_input_tokens")
        event.output = try count("output_tokens")
        event.site = try text("site")
        event.tag = try text("tag", required: false)
        return event
    }
}

/// Rejected events, one JSON object per line: `{"line":7,"reason":"…","input":"…"}`.
struct RejectsFile {
    private let handle: FileHandle
    private var buffer: [UInt8] = []

    init(path: String) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw ImportProblem(file: path, line: nil, "cannot write the rejects file")
        }
        try handle.truncate(atOffset: 0)
        self.handle = handle
    }

    mutating func write(line: Int, reason: String, input: String) throws {
        buffer += Array("{\"line\":\(line),\"reason\":\(Self.json(reason)),\"input\":\(Self.json(input))}\n".utf8)
        if buffer.count > 1 << 16 { flush() }
    }

    mutating func flush() {
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    private var closed = false

    mutating func close() {
        guard !closed else { return }
        closed = true
        flush()
        try? handle.close()
    }

    static func json(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
