import TallyCore

/// Reads typed fields of one CSV record, collecting every problem with its
/// file, line, column and value instead of stopping at the first.
struct FieldReader {
    let file: String
    let line: Int
    let columns: [String: Int]
    let fields: [String]
    private(set) var problems: [ImportProblem] = []

    init(file: String, line: Int, columns: [String: Int], fields: [String]) {
        self.file = file
        self.line = line
        self.columns = columns
        self.fields = fields
    }

    mutating func problem(_ column: String?, _ value: String?, _ message: String) {
        problems.append(ImportProblem(file: file, line: line, column: column, value: value, message))
    }

    /// The raw field, or "" when the column is absent or the row is short.
    func raw(_ column: String) -> String {
        guard let index = columns[column], index < fields.count else { return "" }
        return fields[index]
    }

    mutating func text(_ column: String) -> String? {
        let value = raw(column)
        if value.isEmpty {
            problem(column, nil, "is required")
            return nil
        }
        if value.utf8.contains(0) {
            problem(column, nil, "contains a NUL byte")
            return nil
        }
        return value
    }

    mutating func optionalText(_ column: String) -> String? {
        let value = raw(column)
        if value.utf8.contains(0) {
            problem(column, nil, "contains a NUL byte")
            return nil
        }
        return value.isEmpty ? nil : value
    }

    enum Sign { case any, nonNegative, positive }

    mutating func decimal(_ column: String, _ sign: Sign) -> ExactDecimal? {
        guard let text = text(column) else { return nil }
        return checkedDecimal(column, text, sign)
    }

    mutating func optionalDecimal(_ column: String, _ sign: Sign) -> ExactDecimal? {
        guard let text = optionalText(column) else { return nil }
        return checkedDecimal(column, text, sign)
    }

    private mutating func checkedDecimal(_ column: String, _ text: String, _ sign: Sign) -> ExactDecimal? {
        let value: ExactDecimal
        do {
            value = try ExactDecimal(parsing: text)
        } catch {
            problem(column, text, error.code == .invalidDecimal ? "not a decimal number" : error.message)
            return nil
        }
        switch sign {
        case .any: break
        case .nonNegative where value.isNegative: problem(column, text, "must not be negative"); return nil
        case .positive where value <= .zero: problem(column, text, "must be greater than zero"); return nil
        default: break
        }
        return value
    }

    mutating func integer(_ column: String, _ sign: Sign) -> Int? {
        guard let text = text(column) else { return nil }
        return checkedInteger(column, text, sign)
    }

    mutating func optionalInteger(_ column: String, _ sign: Sign) -> Int? {
        guard let text = optionalText(column) else { return nil }
        return checkedInteger(column, text, sign)
    }

    private mutating func checkedInteger(_ column: String, _ text: String, _ sign: Sign) -> Int? {
        guard let value = Int(text), Int64(exactly: value) != nil else {
            problem(column, text, "not a whole number (or out of range)")
            return nil
        }
        switch sign {
        case .any: break
        case .nonNegative where value < 0: problem(column, text, "must not be negative"); return nil
        case .positive where value <= 0: problem(column, text, "must be greater than zero"); return nil
        default: break
        }
        return value
    }

    mutating func timestamp(_ column: String) -> UTCTimestamp? {
        guard let text = text(column) else { return nil }
        return checkedTimestamp(column, text)
    }

    mutating func optionalTimestamp(_ column: String) -> UTCTimestamp? {
        guard let text = optionalText(column) else { return nil }
        return checkedTimestamp(column, text)
    }

    private mutating func checkedTimestamp(_ column: String, _ text: String) -> UTCTimestamp? {
        do {
            return try UTCTimestamp(parsing: text)
        } catch {
            problem(column, text, "not a timestamp with a zone (e.g. 2026-11-01T00:00:00Z)")
            return nil
        }
    }

    mutating func date(_ column: String) -> CivilDate? {
        guard let text = text(column) else { return nil }
        do {
            return try CivilDate(parsing: text)
        } catch {
            problem(column, text, "not a date (YYYY-MM-DD)")
            return nil
        }
    }

    mutating func currency(_ column: String) -> Currency? {
        guard let text = text(column) else { return nil }
        do {
            return try Currency(code: text)
        } catch {
            problem(column, text, "not an ISO 4217 currency code")
            return nil
        }
    }
}
