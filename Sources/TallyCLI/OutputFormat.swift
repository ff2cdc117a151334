import ArgumentParser
import TallyPresentation

/// How a report is printed: an aligned table for people, CSV and JSON for tools.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, csv, json
}

extension TabularOutput {
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
