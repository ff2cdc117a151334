import TallyCore

/// Parses and validates one NDJSON usage event line, byte by byte.
///
/// An event line is a flat JSON object:
/// `{"id":"e1","customer":"acme","model":"llama-3.3-70b-instruct","timestamp":"2026-11-03T10:15:00Z",`
/// `"input_tokens":1200,"cached_input_tokens":300,"output_tokens":250,"site":"us-ashburn-1","tag":"key-prod"}`.
///
/// Why not Foundation's JSON: it reads numbers as binary floats (NSNumber; token
/// counts must stay exact integers) and builds objects per line, far too slow
/// for hundreds of thousands of lines a second. This reader works on the
/// line's bytes: known keys are matched as bytes, values stay byte ranges of
/// the line (copied only when a string has escapes), and counts are parsed as
/// integers directly. It accepts exactly the flat objects events are, rejects
/// anything else with a reason, and skips unknown keys whose values are
/// strings, numbers, booleans or null (forward compatible), reporting them.
/// Every valid JSON string is read (surrogate pairs included); a stored field
/// that holds what PostgreSQL text cannot (NUL, an unpaired surrogate,
/// invalid UTF-8) is refused with that reason.
struct EventLineParser {
    struct Rejected: Error {
        let reason: String
    }

    /// A validated event as byte ranges (for COPY) plus parsed numbers.
    struct Event {
        var id: ArraySlice<UInt8> = []
        var customer: ArraySlice<UInt8> = []
        var model: ArraySlice<UInt8> = []
        var timestamp: ArraySlice<UInt8> = []
        var site: ArraySlice<UInt8> = []
        var tag: ArraySlice<UInt8> = []
        /// `timestamp` parsed (at most microsecond precision, as PostgreSQL
        /// reads it, so both agree on the hour and month of every event).
        var occurredAt = UTCTimestamp(microsecondsSinceEpoch: 0)
        var input: Int64 = 0
        var cached: Int64 = 0
        var output: Int64 = 0
        /// Keys Tally does not know, in the order given (ignored, but counted
        /// and warned about: a typo must not pass unnoticed).
        var unknownKeys: [ArraySlice<UInt8>] = []
    }

    /// A token count from its digits: whole, not negative, not absurd.
    /// `next` is the byte after the digits (a '.' or 'e' means a fraction).
    static func tokenCount(_ digits: ArraySlice<UInt8>, next: UInt8?, key: String) throws(Rejected) -> Int64 {
        if digits.first == UInt8(ascii: "-") { throw Rejected(reason: "\"\(key)\" is negative") }
        if next == UInt8(ascii: ".") || next == UInt8(ascii: "e") || next == UInt8(ascii: "E")
            || !digits.allSatisfy({ $0 >= 48 && $0 <= 57 })
        {
            throw Rejected(reason: "\"\(key)\" must be a whole number of tokens")
        }
        guard !digits.isEmpty else { throw Rejected(reason: "\"\(key)\" must be a number") }
        // JSON (a next byte is known) allows no leading zero: 01 is not a JSON number.
        if next != nil && digits.count > 1 && digits.first == UInt8(ascii: "0") {
            throw Rejected(reason: "\"\(key)\" has a leading zero, which JSON does not allow")
        }
        guard digits.count <= 18 else { throw Rejected(reason: "\"\(key)\" is absurdly large") }
        var value: Int64 = 0
        for d in digits { value = value * 10 + Int64(d - 48) }
        guard value <= UsageEvent.maximumTokensPerClass else {
            throw Rejected(reason: "\"\(key)\" = \(value) is absurd (more than \(UsageEvent.maximumTokensPerClass) in one event)")
        }
        return value
    }

    /// A timestamp field: RFC 3339 with a zone (an offset of at most ±15:59,
    /// as PostgreSQL stores), at most microseconds.
    static func timestamp(_ text: ArraySlice<UInt8>) throws(Rejected) -> UTCTimestamp {
        do {
            return try UTCTimestamp(utf8: text)
        } catch {
            throw Rejected(reason: "\"timestamp\" \(error.message)")  // the value and what is wrong with it
        }
    }

    /// A text field's length check.
    static func checkLength(_ value: ArraySlice<UInt8>, key: String) throws(Rejected) {
        guard value.count <= UsageEvent.maximumTextLength else {
            throw Rejected(reason: "\"\(key)\" is longer than \(UsageEvent.maximumTextLength) bytes")
        }
    }

    /// Refuses a string that is not UTF-8 (only called when it has bytes >= 0x80).
    private static func checkUTF8(_ value: ArraySlice<UInt8>, _ key: Key?) throws(Rejected) {
        guard String(validating: value, as: UTF8.self) == nil else { return }
        let what = key.map { $0 == .unknown ? "a value" : "\"\(name($0))\"" } ?? "a key"
        throw Rejected(reason: "\(what) is not valid UTF-8")
    }

    private enum Key {
        case id, customer, model, timestamp, site, tag, input, cached, output, unknown
    }

    private static func key(_ k: ArraySlice<UInt8>) -> Key {
        switch k.count {
        case 2 where k.elementsEqual("id".utf8): .id
        case 3 where k.elementsEqual("tag".utf8): .tag
        case 4 where k.elementsEqual("site".utf8): .site
        case 5 where k.elementsEqual("model".utf8): .model
        case 8 where k.elementsEqual("customer".utf8): .customer
        case 9 where k.elementsEqual("timestamp".utf8): .timestamp
        case 12 where k.elementsEqual("input_tokens".utf8): .input
        case 13 where k.elementsEqual("output_tokens".utf8): .output
        case 19 where k.elementsEqual("cached_input_tokens".utf8): .cached
        default: .unknown
        }
    }

    private static func name(_ key: Key) -> String {
        switch key {
        case .id: "id"
        case .customer: "customer"
        case .model: "model"
        case .timestamp: "timestamp"
        case .site: "site"
        case .tag: "tag"
        case .input: "input_tokens"
        case .cached: "cached_input_tokens"
        case .output: "output_tokens"
        case .unknown: "?"
        }
    }

    /// Parses and validates a line. `known(customer, model)` says whether the
    /// customer and model exist (checked on bytes, no allocation).
    static func parse(_ line: ArraySlice<UInt8>) throws(Rejected) -> Event {
        var i = line.startIndex
        let end = line.endIndex
        var event = Event()
        var seen = 0  // bit per known key, for "given twice" and "missing"

        func skipSpace() {
            while i < end, line[i] == 0x20 || line[i] == 0x09 || line[i] == 0x0D { i += 1 }
        }
        /// Four hex digits at `at`, or nil.
        func hex4(at start: Int) -> UInt32? {
            guard start + 4 <= end else { return nil }
            var code: UInt32 = 0
            for b in line[start..<(start + 4)] {
                switch b {
                case 48...57: code = code << 4 | UInt32(b - 48)
                case 65...70: code = code << 4 | UInt32(b - 55)
                case 97...102: code = code << 4 | UInt32(b - 87)
                default: return nil
                }
            }
            return code
        }
        /// A string's content: a slice of the line, or of an unescaped copy.
        /// `key` names the field in a refusal (nil: the string is a key;
        /// `.unknown`: a value skipped, which need not be storable).
        func string(_ key: Key?) throws(Rejected) -> ArraySlice<UInt8> {
            guard i < end, line[i] == UInt8(ascii: "\"") else { throw Rejected(reason: "malformed JSON: expected a string") }
            i += 1
            let start = i
            var high: UInt8 = 0  // any byte >= 0x80 sets its top bit: then UTF-8 is checked
            while i < end, line[i] != UInt8(ascii: "\""), line[i] != UInt8(ascii: "\\"), line[i] >= 0x20 {
                high |= line[i]
                i += 1
            }
            if i < end, line[i] == UInt8(ascii: "\"") {
                defer { i += 1 }
                if high >= 0x80 { try checkUTF8(line[start..<i], key) }
                return line[start..<i]
            }
            var bytes = Array(line[start..<i])
            while i < end {
                let c = line[i]
                if c == UInt8(ascii: "\"") {
                    i += 1
                    if high >= 0x80 { try checkUTF8(bytes[...], key) }
                    return bytes[...]
                }
                if c == UInt8(ascii: "\\") {
                    i += 1
                    guard i < end else { break }
                    switch line[i] {
                    case UInt8(ascii: "\""): bytes.append(0x22)
                    case UInt8(ascii: "\\"): bytes.append(0x5C)
                    case UInt8(ascii: "/"): bytes.append(0x2F)
                    case UInt8(ascii: "n"): bytes.append(0x0A)
                    case UInt8(ascii: "t"): bytes.append(0x09)
                    case UInt8(ascii: "r"): bytes.append(0x0D)
                    case UInt8(ascii: "b"): bytes.append(0x08)
                    case UInt8(ascii: "f"): bytes.append(0x0C)
                    case UInt8(ascii: "u"):
                        guard var code = hex4(at: i + 1) else { throw Rejected(reason: "malformed JSON: bad \\u escape") }
                        i += 4
                        // A character beyond U+FFFF is a surrogate pair: \uD83D\uDE00.
                        if (0xD800...0xDBFF).contains(code), i + 6 < end, line[i + 1] == UInt8(ascii: "\\"),
                            line[i + 2] == UInt8(ascii: "u"), let low = hex4(at: i + 3), (0xDC00...0xDFFF).contains(low)
                        {
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                            i += 6
                        }
                        if let scalar = Unicode.Scalar(code), code != 0 {
                            bytes.append(contentsOf: String(scalar).utf8)
                        } else if let key, key != .unknown {  // a stored field: PostgreSQL text cannot hold it
                            let what = code == 0 ? "a NUL character (\\u0000)" : "an unpaired surrogate (\\u\(String(code, radix: 16, uppercase: true)))"
                            throw Rejected(reason: "\"\(name(key))\" holds \(what), which cannot be stored")
                        } else {
                            bytes.append(contentsOf: "\u{FFFD}".utf8)  // a key or a skipped value: valid JSON, never stored
                        }
                    default: throw Rejected(reason: "malformed JSON: bad escape")
                    }
                    i += 1
                    continue
                }
                guard c >= 0x20 else { throw Rejected(reason: "malformed JSON: control character in a string") }
                high |= c
                bytes.append(c)
                i += 1
            }
            throw Rejected(reason: "malformed JSON: unterminated string")
        }
        func count(_ key: Key) throws(Rejected) -> Int64 {
            let start = i
            if i < end, line[i] == UInt8(ascii: "-") { i += 1 }
            while i < end, line[i] >= 48, line[i] <= 57 { i += 1 }
            return try tokenCount(line[start..<i], next: i < end ? line[i] : nil, key: name(key))
        }
        func skipValue(_ keyName: String) throws(Rejected) {
            guard i < end else { throw Rejected(reason: "malformed JSON: missing value for \"\(keyName)\"") }
            switch line[i] {
            case UInt8(ascii: "\""): _ = try string(.unknown)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                while i < end, line[i] == UInt8(ascii: "-") || line[i] == UInt8(ascii: "+") || line[i] == UInt8(ascii: ".")
                    || line[i] == UInt8(ascii: "e") || line[i] == UInt8(ascii: "E") || (line[i] >= 48 && line[i] <= 57)
                {
                    i += 1
                }
            case UInt8(ascii: "n"), UInt8(ascii: "t"), UInt8(ascii: "f"):
                let word = line[i] == UInt8(ascii: "n") ? "null" : line[i] == UInt8(ascii: "t") ? "true" : "false"
                guard line[i...].starts(with: word.utf8) else { throw Rejected(reason: "malformed JSON near \"\(keyName)\"") }
                i += word.utf8.count
            default:
                throw Rejected(reason: "\"\(keyName)\": nested objects and arrays are not accepted in an event")
            }
        }
        func text(_ key: Key) throws(Rejected) -> ArraySlice<UInt8> {
            guard i < end else { throw Rejected(reason: "malformed JSON: missing value for \"\(name(key))\"") }
            if line[i] == UInt8(ascii: "n"), line[i...].starts(with: "null".utf8) {
                i += 4
                return []
            }
            guard line[i] == UInt8(ascii: "\"") else { throw Rejected(reason: "\"\(name(key))\" must be a string") }
            let value = try string(key)
            try checkLength(value, key: name(key))
            return value
        }

        skipSpace()
        guard i < end, line[i] == UInt8(ascii: "{") else { throw Rejected(reason: "malformed JSON: an event is a JSON object") }
        i += 1
        skipSpace()
        if i < end, line[i] == UInt8(ascii: "}") {
            i += 1
        } else {
            while true {
                skipSpace()
                let keyBytes = try string(nil)
                skipSpace()
                guard i < end, line[i] == UInt8(ascii: ":") else { throw Rejected(reason: "malformed JSON: expected ':' after a key") }
                i += 1
                skipSpace()
                let key = Self.key(keyBytes)
                if key != .unknown {
                    let bit = 1 << Self.bitIndex(key)
                    guard seen & bit == 0 else { throw Rejected(reason: "\"\(name(key))\" given twice") }
                    seen |= bit
                }
                switch key {
                case .id: event.id = try text(key)
                case .customer: event.customer = try text(key)
                case .model: event.model = try text(key)
                case .timestamp: event.timestamp = try text(key)
                case .site: event.site = try text(key)
                case .tag: event.tag = try text(key)
                case .input: event.input = try count(key)
                case .cached: event.cached = try count(key)
                case .output: event.output = try count(key)
                case .unknown:
                    try skipValue(String(decoding: keyBytes, as: UTF8.self))
                    event.unknownKeys.append(keyBytes)
                }
                skipSpace()
                guard i < end else { throw Rejected(reason: "malformed JSON: unterminated object") }
                if line[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                guard line[i] == UInt8(ascii: "}") else { throw Rejected(reason: "malformed JSON: expected ',' or '}'") }
                i += 1
                break
            }
        }
        skipSpace()
        guard i == end else { throw Rejected(reason: "malformed JSON: text after the object") }
        for (required, field) in [(Key.id, event.id), (.customer, event.customer), (.model, event.model), (.timestamp, event.timestamp), (.site, event.site)]
        where field.isEmpty {
            throw Rejected(reason: "\"\(name(required))\" is missing")
        }
        event.occurredAt = try timestamp(event.timestamp)
        return event
    }

    private static func bitIndex(_ key: Key) -> Int {
        switch key {
        case .id: 0
        case .customer: 1
        case .model: 2
        case .timestamp: 3
        case .site: 4
        case .tag: 5
        case .input: 6
        case .cached: 7
        case .output: 8
        case .unknown: 9
        }
    }
}
