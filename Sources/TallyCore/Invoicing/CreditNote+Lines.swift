extension CreditNote {
    /// The lines a partial credit note asks for, from `2,5=10.00` (`tally
    /// invoice credit-note --lines`): an invoice line number, alone (what is
    /// left of the line) or with `=AMOUNT`. Strict, because a lenient reading
    /// credits the wrong thing: `1=` or `=5` must not credit a whole line, an
    /// empty item or a line given twice is a mistake, not a no-op.
    public static func requestedLines(_ text: String, currency: Currency) throws(InvoiceError) -> [Int: Money?] {
        func refuse(_ item: some StringProtocol, _ why: String) -> InvoiceError {
            InvoiceError(.credit, "--lines '\(text)': '\(item)' \(why) (expected N or N=AMOUNT, comma-separated, e.g. 2,5=10.00)")
        }
        var lines: [Int: Money?] = [:]
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: "=", omittingEmptySubsequences: false).map { $0.trimmingSpaces }
            guard !parts[0].isEmpty else { throw refuse(item, parts.count == 1 ? "is empty" : "has no line number") }
            guard parts[0].utf8.count <= 6, parts[0].utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let line = Int(parts[0]), line > 0 else {
                throw refuse(item, "does not start with a line number (1, 2, …)")
            }
            guard parts.count <= 2 else { throw refuse(item, "has more than one '='") }
            guard lines[line] == nil else { throw refuse(item, "credits line \(line) a second time") }
            guard parts.count == 2 else {
                lines[line] = .some(nil)
                continue
            }
            guard !parts[1].isEmpty else { throw refuse(item, "has no amount after '='") }
            do {
                lines[line] = try Money(parsing: parts[1], currency)
            } catch {
                throw refuse(item, "has an amount that is not a decimal number: \(error.message)")
            }
        }
        return lines
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var text = self
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return text
    }
}
