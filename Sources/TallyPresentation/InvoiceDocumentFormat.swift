import TallyCore

/// The formats an invoice or credit note is rendered in, shared by
/// `tally invoice show` and the server's content negotiation, so both print
/// the very same bytes (docs/invoice-formats.md).
public enum InvoiceDocumentFormat: String, CaseIterable, Sendable {
    case text, json, html, csv, cii

    /// Renders `invoice` in this format.
    public func render(_ invoice: Invoice) throws -> String {
        switch self {
        case .text: InvoiceText.render(invoice)
        case .json: InvoiceJSON.render(invoice)
        case .html: InvoiceHTML.render(invoice)
        case .csv: InvoiceCSV.render(invoice)
        case .cii: try InvoiceCII.render(invoice)
        }
    }

    /// Renders `note` in this format (credit notes have no CSV: it holds invoice lines).
    public func render(_ note: CreditNote) throws -> String {
        switch self {
        case .text: InvoiceText.render(note)
        case .json: InvoiceJSON.render(note)
        case .html: InvoiceHTML.render(note)
        case .cii: try InvoiceCII.render(note)
        case .csv: throw InvoiceError(.state, "credit notes are exported as cii, json, html or text (the CSV holds invoice lines)")
        }
    }
}
