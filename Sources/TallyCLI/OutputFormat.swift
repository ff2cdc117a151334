import ArgumentParser
import CSV
import Foundation
import TallyCore

/// How a report is printed: an aligned table for people, CSV and JSON for tools.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, csv, json
}

/// A report as header + rows of already formatted cells, printed in any format.
struct TabularOutput {
    var header: [String]
    var rows: [[String]]
    /// Indexes of columns holding text (left-aligned in tables); the rest are numbers.
    var textColumns: Set<Int> = [0]

    func table() -> String {
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

    func csv() throws -> String {
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
}

extension TabularOutput {
    /// The rows as JSON objects under `keys` (one per column, snake_case):
    /// every cell a string, so decimals stay exact text; `integerColumns`
    /// (counts) as JSON integers. Sorted keys, two-space indent.
    func json(keys: [String], integerColumns: Set<Int> = []) throws -> String {
        precondition(keys.count == header.count, "one JSON key per column")
        let objects = rows.map { row in
            Dictionary(uniqueKeysWithValues: zip(keys, row).enumerated().map { i, pair in
                (pair.0, integerColumns.contains(i) ? Int64(pair.1).map(JSONValue.integer) ?? JSONValue.text(pair.1) : JSONValue.text(pair.1))
            })
        }
        return try Self.encode(objects)
    }

    /// Pretty, key-sorted JSON of any value (the house JSON style for reports).
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Prints in `format`: the aligned table, CSV (header row first), or the
    /// JSON array of ``json(keys:integerColumns:)``.
    func print(_ format: OutputFormat, keys: [String], integerColumns: Set<Int> = []) throws {
        switch format {
        case .table: Swift.print(table())
        case .csv: Swift.print(try csv(), terminator: "")
        case .json: Swift.print(try json(keys: keys, integerColumns: integerColumns))
        }
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}

/// Display formatting of exact figures: rounded once, by name, for display only.
enum Display {
    /// An amount in `currency`'s minor units; `grouped` adds thousands separators.
    static func amount(_ value: ExactDecimal, _ currency: Currency, grouped: Bool) -> String {
        number(value, places: currency.minorUnits, grouped: grouped)
    }

    static func number(_ value: ExactDecimal, places: Int, grouped: Bool) -> String {
        let text = value.rounded(places: places, .halfAwayFromZero).formatted(places: places)
        return grouped ? group(text) : text
    }

    /// A 0…1 fraction as a percentage with one decimal.
    static func percent(_ fraction: ExactDecimal?) -> String {
        guard let fraction, let p = try? fraction * ExactDecimal(100) else { return "-" }
        return number(p, places: 1, grouped: false) + "%"
    }

    static func group(_ text: String) -> String {
        let negative = text.hasPrefix("-")
        let body = negative ? String(text.dropFirst()) : text
        let parts = body.split(separator: ".", maxSplits: 1)
        var integer = String(parts[0])
        var groups: [String] = []
        while integer.count > 3 {
            groups.insert(String(integer.suffix(3)), at: 0)
            integer.removeLast(3)
        }
        groups.insert(integer, at: 0)
        let joined = groups.joined(separator: ",") + (parts.count > 1 ? "." + parts[1] : "")
        return negative ? "-" + joined : joined
    }
}
