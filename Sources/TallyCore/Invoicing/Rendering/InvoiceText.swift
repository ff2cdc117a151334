/// Invoices and credit notes as plain text for the terminal
/// (`tally invoice show N`): what a person checks before sending the PDF.
///
/// Fixed layout, no colours and no terminal-width guessing, so the output
/// is the same in a pipe, a log or a test; figures exact (``InvoiceFormat``)
/// with thousands separators.
public enum InvoiceText {
    public static func render(_ invoice: Invoice) -> String {
        var out: [String] = []
        let currency = invoice.currency
        if let number = invoice.number {
            out.append("INVOICE \(number)")
        } else {
            out.append("DRAFT INVOICE \(invoice.draftName) (not issued: the number is assigned at finalization)")
        }
        out.append("")
        out += parties(invoice.issuer, invoice.customer)
        out.append("")
        out += fields([
            ("Invoice", invoice.name),
            ("Status", InvoiceFormat.displayStatus(invoice.status)),
            ("Period", invoice.period.description),
            ("Currency", currency.code),
            ("Issued", invoice.issueDate?.description ?? "-"),
            ("Due", invoice.dueDate?.description ?? "-"),
            ("Paid", invoice.paidOn?.description ?? "-"),
        ])
        out.append("")

        let hasLate = invoice.lines.contains { $0.usageMonth != invoice.period }
        var columns: [TextTable.Column] = [
            .init(title: "#", alignment: .right), .init(title: "Model", alignment: .left),
            .init(title: "Class", alignment: .left), .init(title: "Card version", alignment: .left),
            .init(title: "Band", alignment: .left), .init(title: "Tokens", alignment: .right),
            .init(title: "Per 1M", alignment: .right), .init(title: "Amount", alignment: .right),
        ]
        if hasLate { columns.append(.init(title: "Usage", alignment: .left)) }
        var table = TextTable(columns)
        for (line, price) in zip(invoice.lines, InvoiceFormat.displayPrices(invoice.lines, currency)) {
            var row = [
                String(line.number), line.model, line.tokenClass.displayName, InvoiceFormat.card(line.source),
                line.bandLabel == nil ? "-" : String(line.band + 1), InvoiceFormat.displayCount(line.quantity),
                price, InvoiceFormat.displayAmount(line.amount),
            ]
            if hasLate { row.append(line.usageMonth == invoice.period ? "" : "late usage of \(line.usageMonth)") }
            table.append(row)
        }
        if invoice.lines.isEmpty {
            out.append("No usage this period.")
        } else {
            out.append("Lines (\(currency.code), prices per 1M tokens)")
            out += table.render(indent: 2)
            // A legend for the band numbers: each band's range, once.
            let bands = invoice.lines.compactMap { line in
                line.bandLabel.map { "\(line.model) \(line.tokenClass.displayName): \($0)" }
            }
            for band in Set(bands).sorted() { out.append("  " + band) }
        }
        out.append("")

        var summary: [(String, String)] = [("Subtotal", InvoiceFormat.displayAmount(invoice.subtotal))]
        for credit in invoice.credits {
            summary.append(("Credit \(credit.grantID): \(credit.reason) (expires \(credit.expiresOn))",
                            "-" + InvoiceFormat.displayAmount(credit.amount)))
        }
        for tax in invoice.taxes {
            summary.append((InvoiceFormat.taxLabel(tax), InvoiceFormat.displayAmount(tax.amount)))
        }
        summary.append(("Total \(currency.code)", InvoiceFormat.displayAmount(invoice.total)))
        out += amounts(summary)
        out += notes(invoice.taxes)
        out.append("")

        if let due = invoice.dueDate {
            out.append("Please pay \(InvoiceFormat.displayMoney(invoice.total)) by \(due) to IBAN \(invoice.issuer.iban), "
                       + "BIC \(invoice.issuer.bic), quoting \(invoice.name).")
        } else {
            out.append("Payment terms: \(invoice.issuer.paymentTermsDays) days from the issue date, "
                       + "to IBAN \(invoice.issuer.iban), BIC \(invoice.issuer.bic).")
        }
        out.append("")

        out.append("Usage by API key / project tag")
        if invoice.tagUsage.isEmpty {
            out.append("  (none)")
        } else {
            var usage = TextTable([
                .init(title: "Tag", alignment: .left), .init(title: "Model", alignment: .left),
                .init(title: "Input", alignment: .right), .init(title: "Cached input", alignment: .right),
                .init(title: "Output", alignment: .right), .init(title: "Events", alignment: .right),
            ])
            for row in invoice.tagUsage {
                usage.append([
                    row.tag.isEmpty ? InvoiceFormat.untagged : row.tag, row.model,
                    InvoiceFormat.displayCount(row.tokens.input), InvoiceFormat.displayCount(row.tokens.cachedInput),
                    InvoiceFormat.displayCount(row.tokens.output), InvoiceFormat.displayCount(row.events),
                ])
            }
            out += usage.render(indent: 2)
        }
        return out.map(oneLine).joined(separator: "\n") + "\n"
    }

    public static func render(_ note: CreditNote) -> String {
        var out: [String] = ["CREDIT NOTE \(note.number)", ""]
        out += parties(note.issuer, note.customer)
        out.append("")
        out += fields([
            ("Credit note", note.number),
            ("Credits", note.invoiceNumber),
            ("Reason", note.reason),
            ("Period", note.period.description),
            ("Currency", note.currency.code),
            ("Issued", note.issueDate.description),
        ])
        out.append("")
        out.append("Lines credited (\(note.currency.code))")
        var table = TextTable([
            .init(title: "Line", alignment: .right), .init(title: "Description", alignment: .left),
            .init(title: "Amount", alignment: .right),
        ])
        for line in note.lines {
            table.append([String(line.invoiceLine), line.description, InvoiceFormat.displayAmount(line.amount)])
        }
        out += table.render(indent: 2)
        out.append("")
        var summary: [(String, String)] = []
        if !note.creditsReturned.isZero {
            summary.append(("Credits returned to the customer's grants", "-" + InvoiceFormat.displayAmount(note.creditsReturned)))
        }
        summary.append(("Net credited", InvoiceFormat.displayAmount(note.net)))
        for tax in note.taxes {
            summary.append((InvoiceFormat.taxLabel(tax), InvoiceFormat.displayAmount(tax.amount)))
        }
        summary.append(("Total credited \(note.currency.code)", InvoiceFormat.displayAmount(note.total)))
        out += amounts(summary)
        out += notes(note.taxes)
        return out.map(oneLine).joined(separator: "\n") + "\n"
    }

    /// Seller and buyer, side by side in one label column.
    private static func parties(_ issuer: Issuer, _ customer: Customer) -> [String] {
        fields([
            ("From", issuer.name),
            ("", "\(issuer.street), \(issuer.postcode) \(issuer.city), \(issuer.country)"),
            ("", "VAT ID \(issuer.vatID)"),
            ("", issuer.email),
            ("Bill to", "\(customer.name) (\(customer.id))"),
            ("", customer.billingEmail),
            ("", "\(customer.country)" + (customer.vatID.map { ", VAT ID \($0)" } ?? "")
                + ", tax: \(InvoiceFormat.displayTreatment(customer.taxTreatment))"),
        ])
    }

    /// `Label    value` lines with the values aligned.
    private static func fields(_ pairs: [(String, String)]) -> [String] {
        let width = pairs.map(\.0.count).max() ?? 0
        return pairs.map { label, value in
            TextTable.trimmingTrailingSpaces(TextTable.pad(label, to: width, .left) + "  " + value)
        }
    }

    /// `Label      1,234.50` lines with the amounts right-aligned.
    private static func amounts(_ pairs: [(String, String)]) -> [String] {
        let labelWidth = pairs.map(\.0.count).max() ?? 0
        let amountWidth = pairs.map(\.1.count).max() ?? 0
        return pairs.map { label, amount in
            TextTable.pad(label, to: labelWidth, .left) + "  " + TextTable.pad(amount, to: amountWidth, .right)
        }
    }

    /// The legal note of each tax category that has one, once.
    private static func notes(_ taxes: [InvoiceTax]) -> [String] {
        var seen: Set<TaxCategory> = []
        var lines: [String] = []
        for tax in taxes {
            guard let note = tax.category.note, seen.insert(tax.category).inserted else { continue }
            lines.append("Note: \(note)")
        }
        return lines
    }

    /// Names and reasons come from people: a newline or other control
    /// character in one must not break the layout or move the cursor.
    private static func oneLine(_ text: String) -> String {
        // Per character, so a CR LF pair (one character) stays one column wide.
        String(text.map { character in
            character.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F } ? " " : character
        })
    }
}
