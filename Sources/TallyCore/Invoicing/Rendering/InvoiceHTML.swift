/// Invoices and credit notes as printable, self-contained HTML5: what
/// finance sends (or prints to PDF). One file, inline CSS, A4 page rules,
/// no scripts, fonts, images or links to fetch, so it renders the same
/// offline, in a mail client and years later.
///
/// Every piece of text from data (names, addresses, reasons, tags, model
/// names) goes through ``escape(_:)``: a customer called `<script>` is shown,
/// never run. Drafts and void invoices carry a banner and a watermark on
/// every printed page so they cannot be mistaken for a payable invoice.
public enum InvoiceHTML {
    public static func render(_ invoice: Invoice) -> String {
        let currency = invoice.currency
        let issuer = invoice.issuer
        var body = ""
        body += statusBanner(invoice)
        body += "<header>\n"
        body += issuerBlock(issuer)
        var meta: [(String, String)] = [
            (invoice.number == nil ? "Draft" : "Invoice number", escape(invoice.name)),
            ("Issue date", invoice.issueDate.map { escape($0.description) } ?? "not issued"),
            ("Due date", invoice.dueDate.map { escape($0.description) } ?? "\(issuer.paymentTermsDays) days after issue"),
            ("Service period", escape(servicePeriod(invoice.period))),
            ("Customer ID", escape(invoice.customer.id)),
            ("Currency", escape(currency.code)),
        ]
        if let paidOn = invoice.paidOn { meta.append(("Paid on", escape(paidOn.description))) }
        body += titleBlock("Invoice", meta)
        body += "</header>\n"
        body += customerBlock(invoice.customer)

        // Lines.
        body += "<section>\n<h2>Charges</h2>\n"
        if invoice.lines.isEmpty {
            body += "<p class=\"muted\">No usage in this period.</p>\n"
        } else {
            body += "<table class=\"lines\">\n<thead><tr><th class=\"num\">#</th><th>Description</th>"
                + "<th class=\"num\">Tokens</th><th class=\"num\">Price per 1M tokens</th>"
                + "<th class=\"num\">Amount (\(escape(currency.code)))</th></tr></thead>\n<tbody>\n"
            for (line, price) in zip(invoice.lines, InvoiceFormat.displayPrices(invoice.lines, currency)) {
                let late = line.usageMonth != invoice.period
                body += late ? "<tr class=\"late\">" : "<tr>"
                body += "<td class=\"num\">\(line.number)</td><td>"
                body += "<strong>\(escape(line.model))</strong>, \(escape(line.tokenClass.displayName)) tokens"
                if late {
                    body += " <span class=\"late-mark\">Late usage of \(escape(line.usageMonth.description))</span>"
                }
                if let bandLabel = line.bandLabel { body += "<br><span class=\"detail\">\(escape(bandLabel))</span>" }
                body += "<br><span class=\"detail\">Rate card \(escape(InvoiceFormat.card(line.source)))</span></td>"
                body += "<td class=\"num\">\(InvoiceFormat.displayCount(line.quantity))</td>"
                body += "<td class=\"num\">\(price)</td>"
                body += "<td class=\"num\">\(InvoiceFormat.displayAmount(line.amount))</td></tr>\n"
            }
            body += "</tbody>\n</table>\n"
            if invoice.lines.contains(where: { $0.usageMonth != invoice.period }) {
                body += "<p class=\"note\">Late usage: usage of an earlier month reported after that month was invoiced, "
                    + "billed at that month's prices, continuing its tier volume; earlier invoices are unchanged.</p>\n"
            }
        }

        // Totals.
        var totals: [(label: String, amount: String, rowClass: String?)] = [
            ("Subtotal", InvoiceFormat.displayAmount(invoice.subtotal), nil)
        ]
        for credit in invoice.credits {
            totals.append((
                "Credit applied: \(escape(credit.reason)) <span class=\"detail\">(grant \(escape(credit.grantID)), "
                    + "expires \(escape(credit.expiresOn.description)))</span>",
                "-" + InvoiceFormat.displayAmount(credit.amount), "credit"))
        }
        if !invoice.credits.isEmpty {
            totals.append(("Subtotal after credits", InvoiceFormat.displayAmount(invoice.taxBase), nil))
        }
        for tax in invoice.taxes {
            totals.append((escape(InvoiceFormat.taxLabel(tax)), InvoiceFormat.displayAmount(tax.amount), nil))
        }
        totals.append(("Total due (\(escape(currency.code)))", InvoiceFormat.displayAmount(invoice.total), "grand"))
        body += totalsTable(totals)
        body += taxNotes(invoice.taxes, customer: invoice.customer)
        body += "</section>\n"

        // Payment.
        body += "<section class=\"payment\">\n<h2>Payment</h2>\n<p>"
        body += "Payment terms: \(issuer.paymentTermsDays) days net. "
        if invoice.status == .paid {
            body += "Paid" + (invoice.paidOn.map { " on \(escape($0.description))" } ?? "") + ". Thank you."
        } else if invoice.status == .void {
            body += "This invoice is void: nothing is due."
        } else {
            body += "Please transfer <strong>\(escape(InvoiceFormat.displayMoney(invoice.total)))</strong>"
            body += invoice.dueDate.map { " by <strong>\(escape($0.description))</strong>" } ?? ""
            body += invoice.number.map { ", quoting <strong>\(escape($0))</strong>" } ?? ""
            body += "."
        }
        body += "</p>\n<table class=\"bank\">\n"
        body += "<tr><th>Account holder</th><td>\(escape(issuer.name))</td></tr>\n"
        body += "<tr><th>IBAN</th><td class=\"mono\">\(escape(issuer.iban))</td></tr>\n"
        body += "<tr><th>BIC</th><td class=\"mono\">\(escape(issuer.bic))</td></tr>\n"
        body += "</table>\n</section>\n"

        body += tagUsageSection(invoice.tagUsage)
        body += footer(issuer)

        let watermark: String? = switch invoice.status {
        case .draft: "DRAFT"
        case .void: "VOID"
        case .finalized, .paid: nil
        }
        return document(title: "Invoice \(invoice.name) - \(issuer.name)", watermark: watermark, body: body)
    }

    public static func render(_ note: CreditNote) -> String {
        let currency = note.currency
        var body = "<header>\n"
        body += issuerBlock(note.issuer)
        body += titleBlock("Credit note", [
            ("Credit note number", escape(note.number)),
            ("Issue date", escape(note.issueDate.description)),
            ("Credits invoice", escape(note.invoiceNumber)),
            ("Service period", escape(servicePeriod(note.period))),
            ("Customer ID", escape(note.customer.id)),
            ("Currency", escape(currency.code)),
        ])
        body += "</header>\n"
        body += customerBlock(note.customer)
        body += "<section>\n<h2>Reason</h2>\n<p>\(escape(note.reason))</p>\n</section>\n"
        body += "<section>\n<h2>Lines credited</h2>\n"
        body += "<table class=\"lines\">\n<thead><tr><th class=\"num\">Invoice line</th><th>Description</th>"
            + "<th class=\"num\">Amount (\(escape(currency.code)))</th></tr></thead>\n<tbody>\n"
        for line in note.lines {
            body += "<tr><td class=\"num\">\(line.invoiceLine)</td><td>\(escape(line.description))</td>"
                + "<td class=\"num\">\(InvoiceFormat.displayAmount(line.amount))</td></tr>\n"
        }
        body += "</tbody>\n</table>\n"
        var totals: [(label: String, amount: String, rowClass: String?)] = []
        if !note.creditsReturned.isZero {
            totals.append((
                "Credits returned to your credit balance", "-" + InvoiceFormat.displayAmount(note.creditsReturned), "credit"))
        }
        totals.append(("Net credited", InvoiceFormat.displayAmount(note.net), nil))
        for tax in note.taxes {
            totals.append((escape(InvoiceFormat.taxLabel(tax)), InvoiceFormat.displayAmount(tax.amount), nil))
        }
        totals.append(("Total credited (\(escape(currency.code)))", InvoiceFormat.displayAmount(note.total), "grand"))
        body += totalsTable(totals)
        body += taxNotes(note.taxes, customer: note.customer)
        body += "<p class=\"note\">This credit note reduces the amount owed under invoice \(escape(note.invoiceNumber)).</p>\n"
        body += "</section>\n"
        body += footer(note.issuer)
        return document(title: "Credit note \(note.number) - \(note.issuer.name)", watermark: nil, body: body)
    }

    /// Text made safe for HTML element content and quoted attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    // MARK: - Blocks

    /// `2026-11-01 to 2026-11-30 (2026-11)`: the dates a reader needs,
    /// with the month Tally calls the period.
    private static func servicePeriod(_ period: BillingMonth) -> String {
        "\(period.firstDay) to \(period.lastDay) (\(period))"
    }

    private static func statusBanner(_ invoice: Invoice) -> String {
        switch invoice.status {
        case .draft:
            "<div class=\"banner\">DRAFT - not a valid invoice. The invoice number is assigned at finalization; "
                + "figures may still change.</div>\n"
        case .void:
            "<div class=\"banner\">VOID - this invoice has been cancelled. Nothing is due.</div>\n"
        case .paid:
            "<div class=\"banner paid\">PAID" + (invoice.paidOn.map { " on \(escape($0.description))" } ?? "") + "</div>\n"
        case .finalized:
            ""
        }
    }

    private static func issuerBlock(_ issuer: Issuer) -> String {
        "<div class=\"issuer\">\n<div class=\"issuer-name\">\(escape(issuer.name))</div>\n<address>"
            + "\(escape(issuer.street))<br>\(escape(issuer.postcode)) \(escape(issuer.city))<br>\(escape(issuer.country))"
            + "</address>\n<div>VAT ID: <span class=\"mono\">\(escape(issuer.vatID))</span></div>\n"
            + "<div>\(escape(issuer.email))</div>\n</div>\n"
    }

    /// The document title and its key facts; values are already HTML.
    private static func titleBlock(_ title: String, _ facts: [(String, String)]) -> String {
        var out = "<div class=\"title\">\n<h1>\(escape(title))</h1>\n<table class=\"facts\">\n"
        for (label, value) in facts {
            out += "<tr><th>\(escape(label))</th><td>\(value)</td></tr>\n"
        }
        return out + "</table>\n</div>\n"
    }

    private static func customerBlock(_ customer: Customer) -> String {
        var out = "<section class=\"customer\">\n<div class=\"label\">Bill to</div>\n"
        out += "<div class=\"customer-name\">\(escape(customer.name))</div>\n"
        out += "<div>\(escape(customer.billingEmail))</div>\n"
        out += "<div>Country: \(escape(customer.country))</div>\n"
        if let vatID = customer.vatID { out += "<div>VAT ID: <span class=\"mono\">\(escape(vatID))</span></div>\n" }
        return out + "</section>\n"
    }

    /// Label/amount rows; labels are already HTML.
    private static func totalsTable(_ rows: [(label: String, amount: String, rowClass: String?)]) -> String {
        var out = "<table class=\"totals\">\n"
        for row in rows {
            out += row.rowClass.map { "<tr class=\"\($0)\">" } ?? "<tr>"
            out += "<td>\(row.label)</td><td class=\"num\">\(row.amount)</td></tr>\n"
        }
        return out + "</table>\n"
    }

    /// The legal note of each 0% category (reverse charge, exempt, outside
    /// scope), once, with the customer's VAT id where reverse charge needs it.
    private static func taxNotes(_ taxes: [InvoiceTax], customer: Customer) -> String {
        var seen: Set<TaxCategory> = []
        var out = ""
        for tax in taxes {
            guard let note = tax.category.note, seen.insert(tax.category).inserted else { continue }
            out += "<p class=\"legal\">\(escape(note))"
            if tax.category == .reverseCharge, let vatID = customer.vatID {
                out += " Customer VAT ID: <span class=\"mono\">\(escape(vatID))</span>."
            }
            out += "</p>\n"
        }
        return out
    }

    private static func tagUsageSection(_ usage: [TagUsage]) -> String {
        var out = "<section class=\"usage\">\n<h2>Usage by API key / project tag</h2>\n"
        guard !usage.isEmpty else { return out + "<p class=\"muted\">No tagged usage.</p>\n</section>\n" }
        out += "<table class=\"lines\">\n<thead><tr><th>Tag</th><th>Model</th><th class=\"num\">Input tokens</th>"
            + "<th class=\"num\">Cached input tokens</th><th class=\"num\">Output tokens</th>"
            + "<th class=\"num\">Events</th></tr></thead>\n<tbody>\n"
        for row in usage {
            let tag = row.tag.isEmpty ? "<span class=\"muted\">\(escape(InvoiceFormat.untagged))</span>" : escape(row.tag)
            out += "<tr><td>\(tag)</td><td>\(escape(row.model))</td>"
                + "<td class=\"num\">\(InvoiceFormat.displayCount(row.tokens.input))</td>"
                + "<td class=\"num\">\(InvoiceFormat.displayCount(row.tokens.cachedInput))</td>"
                + "<td class=\"num\">\(InvoiceFormat.displayCount(row.tokens.output))</td>"
                + "<td class=\"num\">\(InvoiceFormat.displayCount(row.events))</td></tr>\n"
        }
        return out + "</tbody>\n</table>\n</section>\n"
    }

    private static func footer(_ issuer: Issuer) -> String {
        let parts = [issuer.name, "\(issuer.street), \(issuer.postcode) \(issuer.city), \(issuer.country)",
                     "VAT ID \(issuer.vatID)", issuer.email, "IBAN \(issuer.iban)", "BIC \(issuer.bic)"]
        return "<footer>\(parts.map(escape).joined(separator: " &middot; "))</footer>\n"
    }

    private static func document(title: String, watermark: String?, body: String) -> String {
        var out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        out += "<title>\(escape(title))</title>\n<style>\n\(style)</style>\n</head>\n<body>\n"
        if let watermark { out += "<div class=\"watermark\" aria-hidden=\"true\">\(escape(watermark))</div>\n" }
        out += "<main class=\"page\">\n\(body)</main>\n</body>\n</html>\n"
        return out
    }

    /// A4 portrait, print-first; backgrounds kept when printing so late
    /// lines stay marked on paper.
    private static let style = """
        @page { size: A4 portrait; margin: 16mm 14mm 18mm 14mm; }
        * { box-sizing: border-box; }
        html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
        body { margin: 0; color: #111; background: #fff; font: 10pt/1.4 "Helvetica Neue", Helvetica, Arial, sans-serif; }
        .page { position: relative; max-width: 182mm; margin: 0 auto; padding: 10mm 0; }
        header { display: flex; justify-content: space-between; gap: 10mm; align-items: flex-start; }
        .issuer-name { font-size: 14pt; font-weight: bold; }
        address { font-style: normal; }
        h1 { margin: 0 0 2mm; font-size: 22pt; letter-spacing: 0.03em; text-align: right; }
        h2 { margin: 7mm 0 2mm; font-size: 11pt; }
        table { width: 100%; border-collapse: collapse; }
        th, td { padding: 1.4mm 2mm; text-align: left; vertical-align: top; }
        .facts { width: auto; margin-left: auto; }
        .facts th { color: #555; font-weight: normal; padding-right: 4mm; }
        .customer { margin: 8mm 0 2mm; padding: 3mm 4mm; border-left: 1mm solid #333; background: #f5f5f5; }
        .customer-name { font-size: 12pt; font-weight: bold; }
        .label { color: #555; font-size: 8pt; text-transform: uppercase; letter-spacing: 0.08em; }
        .lines thead th { border-bottom: 0.4mm solid #111; font-size: 8.5pt; }
        .lines tbody td { border-bottom: 0.2mm solid #ddd; }
        thead { display: table-header-group; }
        tr { break-inside: avoid; page-break-inside: avoid; }
        .num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
        .mono { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; }
        .detail { color: #555; font-size: 8.5pt; }
        .muted { color: #777; }
        .late td { background: #fff4d6; }
        .late-mark { display: inline-block; margin-left: 1mm; padding: 0 1.2mm; border: 0.3mm solid #a86500;
                     border-radius: 1mm; color: #6b3f00; font-size: 8pt; font-weight: bold; }
        .totals { width: 65%; margin: 4mm 0 0 auto; }
        .totals .credit td { color: #1d5e20; }
        .totals .grand td { border-top: 0.5mm solid #111; font-size: 12pt; font-weight: bold; }
        .note, .legal { font-size: 8.5pt; }
        .legal { margin: 3mm 0 0; padding: 2mm 3mm; border: 0.3mm solid #999; }
        .bank { width: auto; }
        .bank th { color: #555; font-weight: normal; padding-left: 0; }
        .payment, .usage { break-inside: avoid; page-break-inside: avoid; }
        .banner { margin-bottom: 6mm; padding: 2.5mm; border: 0.7mm solid #b00; color: #b00; text-align: center;
                  font-weight: bold; letter-spacing: 0.05em; }
        .banner.paid { border-color: #1d5e20; color: #1d5e20; }
        .watermark { position: fixed; top: 38%; left: 0; right: 0; z-index: 10; text-align: center;
                     font-size: 110pt; font-weight: bold; letter-spacing: 0.1em; color: rgba(187, 0, 0, 0.12);
                     transform: rotate(-30deg); pointer-events: none; user-select: none; }
        footer { margin-top: 10mm; padding-top: 2mm; border-top: 0.2mm solid #999; color: #555; font-size: 8pt;
                 text-align: center; }
        @media screen { body { background: #e8e8e8; } .page { background: #fff; margin: 8mm auto; padding: 14mm;
                        max-width: 210mm; box-shadow: 0 0 3mm rgba(0, 0, 0, 0.2); } }

        """
}
