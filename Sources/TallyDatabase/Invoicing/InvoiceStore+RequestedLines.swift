import TallyCore

extension InvoiceStore {
    /// A partial credit note from the lines as people write them (`2,5=10.00`:
    /// what is left of line 2 and 10.00 of line 5), amounts read in the
    /// invoice's currency: `tally invoice credit-note --lines` and the API's
    /// `POST /v1/invoices/{number}/credit-notes` take the same text.
    public func creditNote(number: String, linesText: String, reason: String, on date: CivilDate, audit: AuditActor? = nil) throws -> CreditNote {
        let invoice = try invoice(named: number)
        let lines = try CreditNote.requestedLines(linesText, currency: invoice.currency)
        return try creditNote(number: number, lines: lines, reason: reason, on: date, audit: audit)
    }
}
