import TallyCore

/// What an archive of one month's raw usage events holds (its `MANIFEST`):
/// the month, the columns, the totals the database held, and each file with
/// its row count, size and SHA-256 (docs/usage.md "Retention: archive and
/// restore").
///
/// Plain text, one `key value` line each, in a fixed order, so the same
/// archive always has the same manifest (and the same manifest checksum) and
/// a person can read it. Counts are whole numbers in decimal, read back
/// digit by digit (no floating point on any quantity):
///
/// ```
/// tally-usage-archive 1
/// month 2026-11
/// columns month,customer_id,event_id,occurred_at,…
/// order customer_id,event_id
/// events 1200000
/// input_tokens 123456789
/// cached_input_tokens 2345678
/// output_tokens 3456789
/// file usage_events_2026_11.000.tsv.gz 1000000 53477121 9f86d08…
/// file usage_events_2026_11.001.tsv.gz 200000 10695398 60303ae…
/// ```
///
/// A file line is `file NAME ROWS BYTES SHA256`. Each file is gzip holding
/// rows in PostgreSQL's COPY text format (tab-separated, `\N` for NULL,
/// backslash escapes), in the order `order` names.
public struct UsageArchiveManifest: Sendable, Equatable {
    /// The first line: the format and its version.
    public static let header = "tally-usage-archive 1"
    /// The manifest's file name in the archive folder.
    public static let fileName = "MANIFEST"
    /// The order rows are written in (a partition's rows are unique on it).
    public static let order = ["customer_id", "event_id"]

    /// Event count and token sums of a month's raw events.
    public struct Totals: Sendable, Equatable, CustomStringConvertible {
        public var events: Int64
        public var input: Int64
        public var cachedInput: Int64
        public var output: Int64

        public init(events: Int64, input: Int64, cachedInput: Int64, output: Int64) {
            self.events = events
            self.input = input
            self.cachedInput = cachedInput
            self.output = output
        }

        public var description: String {
            "\(events) events, \(input) input, \(cachedInput) cached input and \(output) output tokens"
        }
    }

    /// One archive file.
    public struct File: Sendable, Equatable {
        public var name: String
        public var rows: Int64
        /// Size of the file (compressed).
        public var bytes: Int64
        /// SHA-256 of the file's bytes, lowercase hex.
        public var sha256: String

        public init(name: String, rows: Int64, bytes: Int64, sha256: String) {
            self.name = name
            self.rows = rows
            self.bytes = bytes
            self.sha256 = sha256
        }
    }

    public var month: BillingMonth
    /// The columns of each row, in order (those of `usage_events` when archived).
    public var columns: [String]
    public var totals: Totals
    public var files: [File]

    public init(month: BillingMonth, columns: [String], totals: Totals, files: [File]) {
        self.month = month
        self.columns = columns
        self.totals = totals
        self.files = files
    }

    /// The partition a month's raw events live in (`usage_events_2026_11`).
    public static func partition(of month: BillingMonth) -> String {
        "usage_events_" + CivilDate.pad(month.year, 4) + "_" + CivilDate.pad(month.month, 2)
    }

    /// The name of a month's `index`th file (from 0): `usage_events_2026_11.000.tsv.gz`.
    public static func dataFileName(month: BillingMonth, index: Int) -> String {
        partition(of: month) + "." + CivilDate.pad(index, 3) + ".tsv.gz"
    }

    /// The manifest's text (ends with a newline).
    public var text: String {
        var lines = [
            Self.header,
            "month \(month)",
            "columns " + columns.joined(separator: ","),
            "order " + Self.order.joined(separator: ","),
            "events \(totals.events)",
            "input_tokens \(totals.input)",
            "cached_input_tokens \(totals.cachedInput)",
            "output_tokens \(totals.output)",
        ]
        for file in files { lines.append("file \(file.name) \(file.rows) \(file.bytes) \(file.sha256)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Reads a manifest strictly: every line in its place, counts whole and
    /// not negative, file names those this month's archive has in sequence
    /// (so no name can point outside the folder), rows adding up to the
    /// events. `path` names the manifest in errors (`path:line`).
    public init(parsing text: String, path: String) throws(UsageArchiveError) {
        func fail(_ line: Int, _ why: String) -> UsageArchiveError {
            UsageArchiveError(.corrupt, "\(path):\(line): \(why)")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.last == "" else { throw fail(lines.count, "the manifest does not end with a newline (cut short?)") }
        lines.removeLast()
        guard lines.first == Self.header else {
            throw fail(1, "not a Tally usage archive manifest (the first line is not '\(Self.header)')")
        }
        let keys = ["month", "columns", "order", "events", "input_tokens", "cached_input_tokens", "output_tokens"]
        guard lines.count >= 1 + keys.count else { throw fail(lines.count, "the manifest ends early: \(keys.count + 1) lines at least") }
        var values: [String] = []
        for (i, key) in keys.enumerated() {
            let line = lines[1 + i]
            guard line.hasPrefix(key + " ") else { throw fail(2 + i, "expected '\(key) …'") }
            values.append(String(line.dropFirst(key.count + 1)))
        }
        func count(_ text: String, line: Int, _ what: String) throws(UsageArchiveError) -> Int64 {
            guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = Int64(text) else {
                throw fail(line, "\(what) '\(text)' is not a whole number ≥ 0")
            }
            return value
        }
        do {
            month = try BillingMonth(parsing: values[0])
        } catch {
            throw fail(2, "month '\(values[0])' is not YYYY-MM")
        }
        columns = values[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        for column in columns where !Self.isPlainName(column) {
            throw fail(3, "column '\(column)' is not a plain column name")
        }
        guard Set(columns).count == columns.count else { throw fail(3, "a column is named twice") }
        guard values[2] == Self.order.joined(separator: ",") else { throw fail(4, "order '\(values[2])' is not '\(Self.order.joined(separator: ","))'") }
        totals = Totals(
            events: try count(values[3], line: 5, "events"), input: try count(values[4], line: 6, "input_tokens"),
            cachedInput: try count(values[5], line: 7, "cached_input_tokens"), output: try count(values[6], line: 8, "output_tokens"))
        files = []
        var rows: Int64 = 0
        for (i, line) in lines.dropFirst(1 + keys.count).enumerated() {
            let number = 2 + keys.count + i
            let fields = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 5, fields[0] == "file" else { throw fail(number, "expected 'file NAME ROWS BYTES SHA256'") }
            let expected = Self.dataFileName(month: month, index: i)
            guard fields[1] == expected else { throw fail(number, "file '\(fields[1])' is not the next file of \(month): '\(expected)'") }
            let sha = fields[4]
            guard sha.utf8.count == 64, sha.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
                throw fail(number, "'\(sha)' is not a SHA-256 in lowercase hex")
            }
            let file = File(name: fields[1], rows: try count(fields[2], line: number, "rows"), bytes: try count(fields[3], line: number, "bytes"), sha256: sha)
            let (sum, overflow) = rows.addingReportingOverflow(file.rows)
            guard !overflow else { throw fail(number, "rows overflow") }
            rows = sum
            files.append(file)
        }
        guard rows == totals.events else {
            throw fail(lines.count, "the files hold \(rows) rows but the manifest says \(totals.events) events")
        }
    }

    /// A lowercase SQL name (`customer_id`): what a column of `usage_events` looks like.
    static func isPlainName(_ name: String) -> Bool {
        guard let first = name.utf8.first, (0x61...0x7A).contains(first) || first == 0x5F, name.utf8.count <= 63 else { return false }
        return name.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }
    }
}
