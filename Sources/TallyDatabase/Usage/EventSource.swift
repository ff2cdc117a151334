/// The events of an input file, NDJSON or CSV, one at a time, each parsed
/// and checked by the same rules whatever the format.
struct EventSource {
    enum Item {
        case event(EventLineParser.Event)
        /// Refused, with the reason and the input as read (for the rejects file).
        case rejected(reason: String, input: String)
    }

    // One of the two is set. Optionals rather than an enum with payloads, so
    // that reading mutates the reader in place instead of copying its buffer.
    private var lines: LineReader?
    private var csv: CSVFile?
    private var columns: [String: Int] = [:]
    /// Header columns that are not event fields (reported on every row, as
    /// an NDJSON line's unknown keys are).
    private var unknownColumns: [ArraySlice<UInt8>] = []
    // The last line read, for ``inputText()``.
    private var lastLine: ArraySlice<UInt8> = []
    private var lastFields: [String] = []

    init(path: String, format: UsageIngester.Format) throws {
        switch format {
        case .ndjson:
            lines = try LineReader(path: path)
        case .csv:
            let file = try CSVFile(path: path)
            for (index, name) in file.header.enumerated() {  // no name twice: CSVFile refuses that
                columns[name] = index
                if !Self.fields.contains(name) { unknownColumns.append(Array(name.utf8)[...]) }
            }
            csv = file
        }
    }

    /// NDJSON held in memory (the server's grouped requests).
    init(ndjson bytes: [UInt8]) {
        lines = LineReader(bytes: bytes)
    }

    /// The next event or refusal with its line number; blank lines are skipped.
    mutating func next() throws -> (line: Int, item: Item)? {
        if lines != nil {
            while let (number, bytes) = lines!.next() {
                if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }  // blank: not an event
                lastLine = bytes
                do {
                    return (number, .event(try EventLineParser.parse(bytes)))
                } catch {
                    return (number, .rejected(reason: error.reason, input: String(decoding: bytes, as: UTF8.self)))
                }
            }
            return nil
        }
        switch try csv!.nextRecord() {
        case nil:
            return nil
        case .invalid(let number, let reason, let text):
            return (number, .rejected(reason: reason, input: text))
        case .fields(let number, let fields):
            lastFields = fields
            // A row with more fields than the header is not read by position:
            // an unquoted comma in a value would shift every later column.
            if fields.count > columns.count {
                return (number, .rejected(reason: "\(fields.count) fields, the header names \(columns.count) (a comma in a value must be quoted)",
                                          input: fields.joined(separator: ",")))
            }
            do {
                var event = try Self.event(fields: fields, columns: columns)
                event.unknownKeys = unknownColumns
                return (number, .event(event))
            } catch {
                return (number, .rejected(reason: error.reason, input: fields.joined(separator: ",")))
            }
        }
    }

    /// The last event's input as read (for the rejects file).
    func inputText() -> String {
        lines != nil ? String(decoding: lastLine, as: UTF8.self) : lastFields.joined(separator: ",")
    }

    /// The last event's input as bytes, kept with an accepted event in case
    /// it turns out to conflict with a stored one (NDJSON: a slice of the
    /// buffer, no copy).
    func inputBytes() -> ArraySlice<UInt8> {
        lines != nil ? lastLine : Array(lastFields.joined(separator: ",").utf8)[...]
    }

    /// Bytes read from the input so far.
    var bytesRead: Int {
        lines?.bytesRead ?? csv?.bytesRead ?? 0
    }

    /// The columns of an event (NDJSON keys, CSV header).
    static let fields: Set<String> = [
        "id", "customer", "model", "timestamp", "input_tokens", "cached_input_tokens", "output_tokens", "site", "tag",
    ]

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
        event.occurredAt = try EventLineParser.timestamp(event.timestamp)
        event.input = try count("input_tokens")
        event.cached = try count("cached_input_tokens")
        event.output = try count("output_tokens")
        event.site = try text("site")
        event.tag = try text("tag", required: false)
        return event
    }
}
