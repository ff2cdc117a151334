/// A plain-text table with columns padded to their widest cell, for
/// terminal renderings: numbers right-aligned so their digits line up.
struct TextTable {
    enum Alignment { case left, right }

    struct Column {
        let title: String
        let alignment: Alignment
    }

    let columns: [Column]
    private(set) var rows: [[String]] = []

    init(_ columns: [Column]) {
        self.columns = columns
    }

    mutating func append(_ row: [String]) {
        precondition(row.count == columns.count, "a row of \(row.count) cells in a table of \(columns.count) columns")
        rows.append(row)
    }

    /// The widest cell of each column, title included.
    var widths: [Int] {
        columns.indices.map { index in
            rows.reduce(columns[index].title.count) { max($0, $1[index].count) }
        }
    }

    /// Title row, a rule, then the rows; each line indented by `indent`
    /// spaces, with no trailing blanks.
    func render(indent: Int = 0) -> [String] {
        let widths = widths
        let margin = String(repeating: " ", count: indent)
        func line(_ cells: [String]) -> String {
            let padded = cells.enumerated().map { index, cell in
                Self.pad(cell, to: widths[index], columns[index].alignment)
            }
            return Self.trimmingTrailingSpaces(margin + padded.joined(separator: "  "))
        }
        let rule = margin + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return [line(columns.map(\.title)), rule] + rows.map(line)
    }

    static func pad(_ text: String, to width: Int, _ alignment: Alignment) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return alignment == .left ? text + fill : fill + text
    }

    static func trimmingTrailingSpaces(_ text: String) -> String {
        var text = text
        while text.last == " " { text.removeLast() }
        return text
    }
}
