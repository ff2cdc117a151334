import Foundation

/// A strict, streaming RFC 4180 reader that knows the line of every record.
///
/// Why not CSV.swift (which Tally uses for writing CSV): on Linux its stream
/// source reports an error at a normal end of file, it accepts an unclosed
/// quote at the end of a file as data, and it cannot say which line a record
/// came from. Billing input must fail loudly and precisely, and usage files
/// are large, so this reader:
/// - streams the file in 1 MiB chunks (constant memory for any size);
/// - accepts `,`-separated fields, `"`-quoted fields with `""` escapes and
///   newlines inside, CRLF or LF line ends, a UTF-8 byte-order mark, and
///   blank lines (skipped); trims spaces around unquoted fields;
/// - refuses a quote inside an unquoted field, text after a closing quote,
///   an unclosed quote (naming the line it opened on), invalid UTF-8 and NUL
///   bytes (a record with either is read whole, so that a caller may refuse
///   it alone: ``nextRecord()``).
struct CSVFile {
    let path: String
    private(set) var header: [String] = []
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var position = 0
    private var atEnd = false
    private var line = 1
    /// Bytes read from the file so far (for progress: at most 1 MiB ahead of the records returned).
    private(set) var bytesRead = 0

    init(path: String) throws(ImportProblem) {
        self.path = path
        handle = try Self.open(path)
        try fill()
        if buffer.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
        guard let (_, fields) = try next() else {
            throw ImportProblem(file: path, line: 1, "the file is empty: a header row is required")
        }
        header = fields.map { $0.lowercased() }
        // A column named twice would be read from one place or the other
        // (and index builders trap on it): every CSV import refuses it here.
        var seen = Set<String>()
        for name in header where !seen.insert(name).inserted {
            throw ImportProblem(file: path, line: 1, column: name, "given twice in the header")
        }
    }

    /// A file for reading, or standard input for "-".
    static func open(_ path: String) throws(ImportProblem) -> FileHandle {
        if path == "-" { return FileHandle.standardInput }
        guard let opened = FileHandle(forReadingAtPath: path) else {
            throw ImportProblem(file: path, line: nil, "cannot open the file for reading")
        }
        return opened
    }

    private mutating func fill() throws(ImportProblem) {
        guard !atEnd else { return }
        if position > 0 {
            buffer.removeFirst(position)
            position = 0
        }
        let chunk: Data?
        do {
            chunk = try handle.read(upToCount: 1 << 20)
        } catch {
            throw ImportProblem(file: path, line: line, "read failed: \(error.localizedDescription)")
        }
        guard let chunk, !chunk.isEmpty else {
            atEnd = true
            return
        }
        bytesRead += chunk.count
        buffer.append(contentsOf: chunk)
    }

    /// The next byte, refilling as needed; nil at the end of the file.
    private mutating func nextByte() throws(ImportProblem) -> UInt8? {
        if position == buffer.count {
            try fill()
            if position == buffer.count { return nil }
        }
        defer { position += 1 }
        return buffer[position]
    }

    private mutating func peekByte() throws(ImportProblem) -> UInt8? {
        if position == buffer.count {
            try fill()
            if position == buffer.count { return nil }
        }
        return buffer[position]
    }

    /// A record read whole: its fields, or why it cannot be used.
    enum Record {
        case fields(line: Int, [String])
        /// A field is not valid UTF-8 or holds a NUL byte (which PostgreSQL
        /// text cannot store). The reader is past the record, so a caller may
        /// refuse this record alone and read on; `text` is the record as read
        /// (invalid bytes replaced), for a rejects file.
        case invalid(line: Int, reason: String, text: String)
    }

    /// The next record and the line it starts on, or nil at the end. A
    /// record with an invalid field is a problem here (see ``nextRecord()``).
    mutating func next() throws(ImportProblem) -> (line: Int, fields: [String])? {
        switch try nextRecord() {
        case nil: return nil
        case .fields(let line, let fields): return (line, fields)
        case .invalid(let line, let reason, _): throw ImportProblem(file: path, line: line, reason)
        }
    }

    /// The next record, or nil at the end. Throws only when the file is not
    /// CSV (a stray or unclosed quote): then where records end is unknown.
    mutating func nextRecord() throws(ImportProblem) -> Record? {
        while true {
            let start = line
            var fields: [String] = []
            var field: [UInt8] = []
            var quoted = false
            var sawAnything = false
            var invalid: String?
            let header = self.header
            func finish(_ fields: inout [String], _ field: inout [UInt8], quoted: Bool) {
                var bytes = field[...]
                if !quoted {
                    while let f = bytes.first, f == 0x20 || f == 0x09 { bytes.removeFirst() }
                    while let l = bytes.last, l == 0x20 || l == 0x09 { bytes.removeLast() }
                }
                if let text = String(validating: bytes, as: UTF8.self), !bytes.contains(0) {
                    fields.append(text)
                } else {
                    if invalid == nil {
                        let column = fields.count < header.count ? " (\(header[fields.count]))" : ""
                        invalid = "field \(fields.count + 1)\(column) "
                            + (bytes.contains(0) ? "holds a NUL byte, which cannot be stored" : "is not valid UTF-8")
                    }
                    fields.append(String(decoding: bytes, as: UTF8.self))
                }
                field.removeAll(keepingCapacity: true)
            }

            recordLoop: while true {
                guard let byte = try nextByte() else {
                    if !sawAnything { return nil }
                    finish(&fields, &field, quoted: quoted)
                    break recordLoop
                }
                sawAnything = true
                switch byte {
                case UInt8(ascii: ","):
                    finish(&fields, &field, quoted: quoted)
                    quoted = false
                case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                    if byte == UInt8(ascii: "\r"), try peekByte() == UInt8(ascii: "\n") { position += 1 }
                    line += 1
                    finish(&fields, &field, quoted: quoted)
                    break recordLoop
                case UInt8(ascii: "\""):
                    guard field.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) else {
                        throw ImportProblem(file: path, line: line, "a quote inside an unquoted field (field \(fields.count + 1))")
                    }
                    field.removeAll(keepingCapacity: true)
                    quoted = true
                    let opened = line
                    quoteLoop: while true {
                        guard let q = try nextByte() else {
                            throw ImportProblem(file: path, line: opened, "unclosed quote (field \(fields.count + 1)) runs to the end of the file")
                        }
                        if q == UInt8(ascii: "\"") {
                            if try peekByte() == UInt8(ascii: "\"") {
                                position += 1
                                field.append(q)
                                continue quoteLoop
                            }
                            break quoteLoop
                        }
                        if q == UInt8(ascii: "\n") { line += 1 }
                        field.append(q)
                    }
                    // Only spaces may follow a closing quote before the separator.
                    while let after = try peekByte(), after == 0x20 || after == 0x09 { position += 1 }
                    if let after = try peekByte(), after != UInt8(ascii: ","), after != UInt8(ascii: "\n"), after != UInt8(ascii: "\r") {
                        throw ImportProblem(file: path, line: line, "text after a closing quote (field \(fields.count + 1))")
                    }
                default:
                    if quoted {
                        throw ImportProblem(file: path, line: line, "text after a closing quote (field \(fields.count + 1))")
                    }
                    field.append(byte)
                }
            }
            if fields.count == 1 && fields[0].isEmpty && !quoted { continue }  // blank line
            if let invalid { return .invalid(line: start, reason: invalid, text: fields.joined(separator: ",")) }
            return .fields(line: start, fields)
        }
    }
}
