/// One problem with an input file, located as precisely as possible:
/// `sites.csv:7: currency 'EURO': not an ISO 4217 currency code`.
public struct ImportProblem: Error, Sendable, Hashable, CustomStringConvertible, Comparable {
    public let file: String
    public let line: Int?
    public let column: String?
    public let value: String?
    public let message: String

    public init(file: String, line: Int?, column: String? = nil, value: String? = nil, _ message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.value = value
        self.message = message
    }

    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ":"
        if let column { text += " \(column)" }
        if let value { text += " '\(value.count > 80 ? String(value.prefix(77)) + "..." : value)'" }
        if column != nil || value != nil { text += ":" }
        return text + " " + message
    }

    public static func < (lhs: ImportProblem, rhs: ImportProblem) -> Bool {
        (lhs.file, lhs.line ?? 0, lhs.message) < (rhs.file, rhs.line ?? 0, rhs.message)
    }
}

/// An import that loaded nothing, and every reason why.
public struct ImportError: Error, Sendable, CustomStringConvertible {
    public let problems: [ImportProblem]

    public init(_ problems: [ImportProblem]) {
        self.problems = problems.sorted()
    }

    public var description: String {
        let shown = problems.prefix(50).map(\.description)
        let more = problems.count > 50 ? ["… and \(problems.count - 50) more"] : []
        return (["\(problems.count) problem(s); nothing was imported:"] + shown + more).joined(separator: "\n")
    }
}
