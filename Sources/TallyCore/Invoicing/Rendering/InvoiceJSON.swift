/// Invoices and credit notes as JSON for other systems (`docs/invoice-formats.md`).
///
/// Written by hand rather than through `JSONEncoder` so the document is the
/// same byte for byte on every platform and run: keys in a fixed, documented
/// order, two-space indent, a trailing newline. Amounts, prices and percents
/// are JSON **strings** holding exact decimals, so no reader can turn them
/// into binary floats; token counts are JSON integers; missing values are
/// `null`, never left out, so every document has the same shape.
public enum InvoiceJSON {
    /// The `schema` of an invoice document; bumped on any incompatible change.
    public static let invoiceSchema = "tally.invoice/1"
    /// The `schema` of a credit note document.
    public static let creditNoteSchema = "tally.credit_note/1"

    public static func render(_ invoice: Invoice) -> String {
        let period = invoice.period
        let lines: [Value] = invoice.lines.map { line in
            .object([
                ("number", .integer(Int64(line.number))),
                ("usage_month", .string(line.usageMonth.description)),
                ("late", .bool(line.usageMonth != period)),
                ("model", .string(line.model)),
                ("token_class", .string(line.tokenClass.rawValue)),
                ("card", .string(line.source.card)),
                ("card_version", .string(line.source.version.description)),
                ("base_card", .string(line.source.baseCard)),
                ("base_version", .string(line.source.baseVersion?.description)),
                ("band", .integer(Int64(line.band))),
                ("band_label", .string(line.bandLabel)),
                ("quantity", .integer(line.quantity)),
                ("unit_price_per_million", .string(InvoiceFormat.price(line.unitPrice))),
                ("amount", .money(line.amount)),
                ("description", .string(line.description(invoicePeriod: period))),
            ])
        }
        let credits: [Value] = invoice.credits.map { credit in
            .object([
                ("grant_id", .string(credit.grantID)),
                ("reason", .string(credit.reason)),
                ("expires_on", .string(credit.expiresOn.description)),
                ("amount", .money(credit.amount)),
            ])
        }
        let usage: [Value] = invoice.tagUsage.map { row in
            .object([
                ("tag", .string(row.tag.isEmpty ? nil : row.tag)),
                ("model", .string(row.model)),
                ("input_tokens", .integer(row.tokens.input)),
                ("cached_input_tokens", .integer(row.tokens.cachedInput)),
                ("output_tokens", .integer(row.tokens.output)),
                ("events", .integer(row.events)),
            ])
        }
        let document: Value = .object([
            ("schema", .string(invoiceSchema)),
            ("number", .string(invoice.number)),
            ("name", .string(invoice.name)),
            ("status", .string(invoice.status.rawValue)),
            ("period", .string(period.description)),
            ("currency", .string(invoice.currency.code)),
            ("currency_minor_units", .integer(Int64(invoice.currency.minorUnits))),
            ("issue_date", .string(invoice.issueDate?.description)),
            ("due_date", .string(invoice.dueDate?.description)),
            ("paid_on", .string(invoice.paidOn?.description)),
            ("issuer", issuer(invoice.issuer)),
            ("customer", customer(invoice.customer)),
            ("lines", .array(lines)),
            ("subtotal", .money(invoice.subtotal)),
            ("credits", .array(credits)),
            ("credits_total", .money(invoice.creditsTotal)),
            ("taxes", .array(invoice.taxes.map(tax))),
            ("tax_total", .money(invoice.taxTotal)),
            ("total", .money(invoice.total)),
            ("usage_by_tag", .array(usage)),
        ])
        return document.serialized + "\n"
    }

    public static func render(_ note: CreditNote) -> String {
        let lines: [Value] = note.lines.map { line in
            .object([
                ("invoice_line", .integer(Int64(line.invoiceLine))),
                ("description", .string(line.description)),
                ("amount", .money(line.amount)),
            ])
        }
        let document: Value = .object([
            ("schema", .string(creditNoteSchema)),
            ("number", .string(note.number)),
            ("invoice_number", .string(note.invoiceNumber)),
            ("issue_date", .string(note.issueDate.description)),
            ("reason", .string(note.reason)),
            ("period", .string(note.period.description)),
            ("currency", .string(note.currency.code)),
            ("currency_minor_units", .integer(Int64(note.currency.minorUnits))),
            ("issuer", issuer(note.issuer)),
            ("customer", customer(note.customer)),
            ("lines", .array(lines)),
            ("credits_returned", .money(note.creditsReturned)),
            ("net", .money(note.net)),
            ("taxes", .array(note.taxes.map(tax))),
            ("tax_total", .money(note.taxTotal)),
            ("total", .money(note.total)),
        ])
        return document.serialized + "\n"
    }

    private static func issuer(_ issuer: Issuer) -> Value {
        .object([
            ("id", .string(issuer.id)),
            ("name", .string(issuer.name)),
            ("street", .string(issuer.street)),
            ("postcode", .string(issuer.postcode)),
            ("city", .string(issuer.city)),
            ("country", .string(issuer.country)),
            ("vat_id", .string(issuer.vatID)),
            ("email", .string(issuer.email)),
            ("payment_terms_days", .integer(Int64(issuer.paymentTermsDays))),
            ("iban", .string(issuer.iban)),
            ("bic", .string(issuer.bic)),
        ])
    }

    private static func customer(_ customer: Customer) -> Value {
        .object([
            ("id", .string(customer.id)),
            ("name", .string(customer.name)),
            ("email", .string(customer.billingEmail)),
            ("country", .string(customer.country)),
            ("vat_id", .string(customer.vatID)),
            ("tax_treatment", .string(customer.taxTreatment.rawValue)),
        ])
    }

    private static func tax(_ tax: InvoiceTax) -> Value {
        .object([
            ("category", .string(tax.category.rawValue)),
            ("code", .string(tax.category.code)),
            ("name", .string(tax.name)),
            ("percent", .string(InvoiceFormat.percent(tax.percent))),
            ("base", .money(tax.base)),
            ("amount", .money(tax.amount)),
            ("note", .string(tax.category.note)),
        ])
    }

    /// Whether a JSON string needs any escape (a quote, a backslash or a control character).
    public static func needsEscapes(_ text: String) -> Bool {
        func scan(_ bytes: some Sequence<UInt8>) -> Bool { bytes.contains { $0 == 0x22 || $0 == 0x5C || $0 < 0x20 } }
        // Native strings are contiguous UTF-8: a tight loop over the buffer (this runs for every string of every invoice).
        return text.utf8.withContiguousStorageIfAvailable { scan($0) } ?? scan(text.utf8)
    }

    /// `"…"` with JSON's escapes: quote, backslash and every control
    /// character (U+0000–U+001F); everything else, non-ASCII included, is
    /// written as itself in UTF-8. (Also what the usage rejects file writes.)
    public static func quoted(_ text: String) -> String {
        // Most strings (models, cards, dates, amounts) need no escape at all.
        if !needsEscapes(text) { return "\"" + text + "\"" }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case let c where c.value < 0x20:
                let hex = String(c.value, radix: 16, uppercase: false)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// A JSON value whose objects keep their keys in the order written.
    private indirect enum Value {
        case text(String)
        case null
        case integer(Int64)
        case bool(Bool)
        case array([Value])
        case object([(key: String, value: Value)])

        /// A string, or `null` when absent.
        static func string(_ text: String?) -> Value { text.map(Value.text) ?? .null }

        /// An amount as an exact decimal string at the currency's minor units.
        static func money(_ money: Money) -> Value { .text(InvoiceFormat.amount(money)) }

        var serialized: String {
            var out = ""
            write(into: &out, depth: 0)
            return out
        }

        private func write(into out: inout String, depth: Int) {
            switch self {
            case .text(let text): out += InvoiceJSON.quoted(text)
            case .null: out += "null"
            case .integer(let value): out += String(value)
            case .bool(let value): out += value ? "true" : "false"
            case .array(let items):
                guard !items.isEmpty else { return out += "[]" }
                out += "[\n"
                for (index, item) in items.enumerated() {
                    out += Self.indent(depth + 1)
                    item.write(into: &out, depth: depth + 1)
                    out += index == items.count - 1 ? "\n" : ",\n"
                }
                out += Self.indent(depth) + "]"
            case .object(let members):
                guard !members.isEmpty else { return out += "{}" }
                out += "{\n"
                for (index, member) in members.enumerated() {
                    out += Self.indent(depth + 1) + InvoiceJSON.quoted(member.key) + ": "
                    member.value.write(into: &out, depth: depth + 1)
                    out += index == members.count - 1 ? "\n" : ",\n"
                }
                out += Self.indent(depth) + "}"
            }
        }

        private static func indent(_ depth: Int) -> String {
            String(repeating: "  ", count: depth)
        }
    }
}
