import TallyCore
import TallyDatabase

/// A customer's month of usage, grouped (`tally usage show --by model|tag|day|site`).
public enum UsagePresentation {
    /// Columns holding counts: JSON integers, not strings.
    public static let integerColumns: Set<Int> = [1, 2, 3, 4]

    /// The JSON keys: the grouping's name (`model`, `tag`, `day`, `site`), then the counts.
    public static func jsonKeys(by grouping: UsageStore.Grouping) -> [String] {
        [grouping.rawValue, "events", "input_tokens", "cached_input_tokens", "output_tokens"]
    }

    /// The rows and a TOTAL row; `grouped` (the table) adds thousands
    /// separators, CSV and JSON carry plain integers.
    public static func table(_ rows: [UsageStore.Row], by grouping: UsageStore.Grouping, grouped: Bool) -> TabularOutput {
        let total = rows.reduce(TokenCounts.zero) { $0 + $1.tokens }
        func count(_ n: some BinaryInteger) -> String { grouped ? Display.group(String(n)) : String(n) }
        return TabularOutput(
            header: [grouping.rawValue, "events", "input tokens", "cached input tokens", "output tokens"],
            rows: rows.map { [$0.key, count($0.events), count($0.tokens.input), count($0.tokens.cachedInput), count($0.tokens.output)] }
                + [["TOTAL", count(rows.reduce(0) { $0 + $1.events }), count(total.input), count(total.cachedInput), count(total.output)]])
    }

    /// `tally usage show --format json`: the rows and the TOTAL row as objects.
    public static func json(_ rows: [UsageStore.Row], by grouping: UsageStore.Grouping) throws -> String {
        try table(rows, by: grouping, grouped: false).json(keys: jsonKeys(by: grouping), integerColumns: integerColumns)
    }
}
