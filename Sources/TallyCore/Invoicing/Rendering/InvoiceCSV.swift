/// Invoices as CSV for accounting (`docs/invoice-formats.md`): one row per
/// line, credit, tax and total, so the file alone reconciles —
/// Σ `line` − Σ `credit` + Σ `tax` = `total`, per invoice.
///
/// RFC 4180: comma-separated, CRLF record ends, a field quoted (with `""`
/// for a quote) only when it holds a comma, quote, CR or LF. Amounts are
/// exact decimals at the currency's minor units; credits are positive, as on
/// the invoice, and the `kind` column says how each row counts. Fields are
/// written as they are, never prefixed against spreadsheet formulas, so the
/// export reads back exactly.
public enum InvoiceCSV {
    /// What a row is: the `kind` column.
    public enum Kind: String, Sendable, CaseIterable {
        /// An invoice line (adds to the subtotal).
        case line
        /// A credit applied (subtracted before tax).
        case credit
        /// Tax at one rate (added).
        case tax
        /// The invoice total: lines − credits + tax.
        case total
    }

    /// The column names, in order. A multi-invoice export writes this once,
    /// then ``rows(_:)`` of every invoice.
    public static let header: [String] = [
        "invoice", "kind", "status", "issue_date", "customer_id", "customer_name", "period", "usage_month", "line",
        "model", "token_class", "card", "card_version", "band", "quantity", "unit_price_per_million", "tax_percent",
        "amount", "currency", "reference", "description",
    ]

    /// The rows of one invoice, in the order of ``header``: its lines (in
    /// line order), its credits (in the order applied), its taxes, its total.
    public static func rows(_ invoice: Invoice) -> [[String]] {
        let common = Common(invoice)
        var rows: [[String]] = []
        for line in invoice.lines {
            rows.append(common.row(
                .line, usageMonth: line.usageMonth.description, line: String(line.number), model: line.model,
                tokenClass: line.tokenClass.rawValue, card: line.source.card, cardVersion: line.source.version.description,
                band: String(line.band), quantity: String(line.quantity),
                unitPrice: InvoiceFormat.price(line.unitPrice), amount: line.amount,
                reference: line.source.baseVersion.map { "base \(line.source.baseCard ?? "")@\($0)" } ?? "",
                description: line.description(invoicePeriod: invoice.period)))
        }
        for credit in invoice.credits {
            rows.append(common.row(
                .credit, amount: credit.amount, reference: credit.grantID,
                description: "\(credit.reason) (expires \(credit.expiresOn))"))
        }
        for tax in invoice.taxes {
            var description = InvoiceFormat.taxLabel(tax, grouped: false)
            if let note = tax.category.note { description += ". " + note }
            rows.append(common.row(
                .tax, taxPercent: InvoiceFormat.percent(tax.percent), amount: tax.amount, reference: tax.category.code,
                description: description))
        }
        rows.append(common.row(.total, amount: invoice.total, description: "subtotal - credits + tax"))
        return rows
    }

    /// A whole export: the header, then the rows of every invoice, sorted by
    /// period, customer and invoice name so the same invoices always give the
    /// same file whatever order they came in.
    public static func render(_ invoices: [Invoice]) -> String {
        let sorted = invoices.sorted {
            ($0.period, $0.customer.id, $0.name) < ($1.period, $1.customer.id, $1.name)
        }
        var out = record(header)
        for invoice in sorted {
            for row in rows(invoice) { out += record(row) }
        }
        return out
    }

    /// One invoice with its header.
    public static func render(_ invoice: Invoice) -> String {
        render([invoice])
    }

    /// One RFC 4180 record, CRLF included.
    public static func record(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }

    /// A field, quoted only when it must be.
    static func field(_ text: String) -> String {
        let special = text.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }
        guard special else { return text }
        var out = "\""
        for character in text.unicodeScalars {
            if character == "\"" { out += "\"" }
            out.unicodeScalars.append(character)
        }
        return out + "\""
    }

    /// The columns every row of one invoice shares.
    private struct Common {
        let invoice: String
        let status: String
        let issueDate: String
        let customerID: String
        let customerName: String
        let period: String
        let currency: String

        init(_ invoice: Invoice) {
            self.invoice = invoice.name
            status = invoice.status.rawValue
            issueDate = invoice.issueDate?.description ?? ""
            customerID = invoice.customer.id
            customerName = invoice.customer.name
            period = invoice.period.description
            currency = invoice.currency.code
        }

        func row(
            _ kind: Kind, usageMonth: String = "", line: String = "", model: String = "", tokenClass: String = "",
            card: String = "", cardVersion: String = "", band: String = "", quantity: String = "", unitPrice: String = "",
            taxPercent: String = "", amount: Money, reference: String = "", description: String
        ) -> [String] {
            [
                invoice, kind.rawValue, status, issueDate, customerID, customerName, period, usageMonth, line, model,
                tokenClass, card, cardVersion, band, quantity, unitPrice, taxPercent, InvoiceFormat.amount(amount),
                currency, reference, description,
            ]
        }
    }
}
