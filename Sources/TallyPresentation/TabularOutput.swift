import CSV
import Foundation

/// A report as header + rows of already formatted cells, printed in any format.
///
/// Shared by the CLI and the server so both print the same cells: the CLI
/// prints ``table()``, ``csv()`` or ``json(keys:integerColumns:)``; a route
/// returns the same JSON (or ``jsonValue(keys:integerColumns:)`` inside a
/// larger document).
public struct TabularOutput: Sendable {
    public var header: [String]
    public var rows: [[String]]
    /// Indexes of columns holding text (left-aligned in tables); the rest are numbers.
    public var textColumns: Set<Int> = [0]

    public init(header: [String], rows: [[String]], textColumns: Set<Int> = [0]) {
        self.header = header
        self.rows = rows
        self.textColumns = textColumns
    }

    public func table() -> String {
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return textColumns.contains(i) ? cell + pad : pad + cell
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
    }

    public func csv() throws -> String {
        let stream = OutputStream.toMemory()
        let writer = try CSVWriter(stream: stream)
        try writer.write(row: header)
        for row in rows { try writer.write(row: row) }
        writer.stream.close()
        guard let data = stream.property(forKey: .dataWrittenToMemoryStreamKey) as? Data else { return "" }
        // The writer separates rows; every line of a CSV file ends with a newline (RFC 4180 allows it, tools expect it).
        let text = String(decoding: data, as: UTF8.self)
        return text.hasSuffix("\n") ? text : text + "\n"
    }

    /// The rows as JSON objects under `keys` (one per column, snake_case):
    /// every cell a string, so decimals stay exact text; `integerColumns`
    /// (counts) as JSON integers.
    public func jsonValue(keys: [String], integerColumns: Set<Int> = []) -> JSONValue {
        precondition(keys.count == header.count, "one JSON key per column")
        return .list(rows.map { row in
            .object(Dictionary(uniqueKeysWithValues: zip(keys, row).enumerated().map { i, pair in
                (pair.0, integerColumns.contains(i) ? Int64(pair.1).map(JSONValue.integer) ?? JSONValue.text(pair.1) : JSONValue.text(pair.1))
            }))
        })
    }

    /// ``jsonValue(keys:integerColumns:)`` as text: sorted keys, two-space indent.
    public func json(keys: [String], integerColumns: Set<Int> = []) throws -> String {
        try Self.encode(jsonValue(keys: keys, integerColumns: integerColumns))
    }

    /// Pretty, key-sorted JSON of any value (the house JSON style for reports).
    public static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Pretty, key-sorted JSON that escapes `/` as `\/` (Foundation's default):
    /// the style of the reports that printed it so before the house style
    /// settled (cost, margin, rate card and quote list JSON), kept so their
    /// output does not change.
    public static func encodeEscapingSlashes(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
