/// Splits the bytes of a JSON array into its top-level elements, one per
/// line, without parsing them: no number is ever read as binary floating point (the
/// ingester's exact parser reads each line), and element N of the array is
/// line N of the output, so rejects name the element.
///
/// Each run of whitespace between tokens becomes one space (a pretty-printed
/// element becomes one line; `1 2` stays two tokens, which the parser
/// refuses, never `12`); strings are copied byte for byte. An element holding a raw
/// control character inside a string (invalid JSON, and a line break would
/// shift every later line) becomes an empty line plus a reject of its own.
enum JSONArraySplitter {
    struct Result {
        /// Elements, each followed by `\n`.
        var lines: [UInt8] = []
        /// Elements refused here: (element number from 1, reason).
        var rejects: [(line: Int, reason: String)] = []
        var elements = 0
    }

    struct Malformed: Error {
        var message: String
    }

    static func split(_ bytes: [UInt8]) throws(Malformed) -> Result {
        var result = Result()
        result.lines.reserveCapacity(bytes.count)
        var i = 0
        let n = bytes.count
        func skipSpace() {
            while i < n, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        }
        skipSpace()
        guard i < n, bytes[i] == UInt8(ascii: "[") else {
            throw Malformed(message: "the body is not a JSON array (send a JSON array of events, or NDJSON as application/x-ndjson)")
        }
        i += 1
        skipSpace()
        if i < n, bytes[i] == UInt8(ascii: "]") {
            i += 1
            skipSpace()
            guard i == n else { throw Malformed(message: "unexpected bytes after the array at byte \(i + 1)") }
            return result
        }
        while true {
            skipSpace()
            guard i < n else { throw Malformed(message: "the array is truncated after \(result.elements) element(s)") }
            result.elements += 1
            let lineStart = result.lines.count
            var depth = 0
            var inString = false
            var controlInString = false
            var started = false
            var pendingSpace = false
            elementLoop: while i < n {
                let byte = bytes[i]
                if inString {
                    result.lines.append(byte)
                    if byte == UInt8(ascii: "\\") {
                        i += 1
                        if i < n { result.lines.append(bytes[i]) }
                    } else if byte == UInt8(ascii: "\"") {
                        inString = false
                    } else if byte < 0x20 {
                        controlInString = true
                    }
                    i += 1
                    continue
                }
                switch byte {
                case 0x20, 0x0A, 0x0D, 0x09:
                    pendingSpace = started
                    i += 1
                    continue elementLoop
                case UInt8(ascii: "\""):
                    inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 0 { break elementLoop }  // the array's own `]`
                    depth -= 1
                case UInt8(ascii: ","):
                    if depth == 0 { break elementLoop }
                default:
                    break
                }
                if pendingSpace {
                    result.lines.append(0x20)
                    pendingSpace = false
                }
                started = true
                result.lines.append(byte)
                i += 1
            }
            guard i < n, !inString, depth == 0 else {
                throw Malformed(message: "the array is truncated in element \(result.elements)")
            }
            guard started || result.lines.count > lineStart else {
                throw Malformed(message: "element \(result.elements) of the array is empty")
            }
            if controlInString {
                result.lines.removeSubrange(lineStart...)
                result.rejects.append((result.elements, "invalid JSON: a control character inside a string"))
            }
            result.lines.append(0x0A)
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            // `]`: the end of the array; only whitespace may follow.
            i += 1
            skipSpace()
            guard i == n else { throw Malformed(message: "unexpected bytes after the array at byte \(i + 1)") }
            return result
        }
    }
}
