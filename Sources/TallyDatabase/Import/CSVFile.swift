import CSV
import Foundation

/// A CSV file read record by record, with the line each record starts on.
///
/// Parsing is CSV.swift's (RFC 4180 quoting); this wrapper adds what error
/// messages need: the file name and the 1-based line of each record, counting
/// newlines inside quoted fields, and it skips blank lines.
struct CSVFile {
    let path: String
    let header: [String]
    private let reader: CSVReader
    private var nextLine: Int

    init(path: String) throws(ImportProblem) {
        self.path = path
        guard let stream = InputStream(fileAtPath: path), FileManager.default.isReadableFile(atPath: path) else {
            throw ImportProblem(file: path, line: nil, "cannot read the file")
        }
        do {
            reader = try CSVReader(stream: stream, hasHeaderRow: true, trimFields: true)
        } catch {
            throw ImportProblem(file: path, line: 1, "cannot read the header row: \(error)")
        }
        guard let header = reader.headerRow, !(header.count == 1 && header[0].isEmpty) else {
            throw ImportProblem(file: path, line: 1, "the file is empty: a header row is required")
        }
        self.header = header.map { $0.lowercased() }
        self.nextLine = 1 + 1 + Self.newlines(in: header)
    }

    /// The next record and its line, or nil at the end.
    mutating func next() throws(ImportProblem) -> (line: Int, fields: [String])? {
        while let fields = reader.next() {
            let line = nextLine
            nextLine += 1 + Self.newlines(in: fields)
            if fields.count == 1 && fields[0].isEmpty { continue }  // blank line
            return (line, fields)
        }
        if let error = reader.error {
            throw ImportProblem(file: path, line: nextLine, "malformed CSV: \(error)")
        }
        return nil
    }

    private static func newlines(in fields: [String]) -> Int {
        fields.reduce(0) { count, field in
            count + field.utf8.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        }
    }
}
