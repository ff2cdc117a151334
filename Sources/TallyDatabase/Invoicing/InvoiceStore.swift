import Foundation
import TallyCore
import TallyPostgres

/// Invoices in PostgreSQL: drafts written by the run, read back whole
/// (header, lines, credits, taxes, usage by tag) for rendering and checks.
public struct InvoiceStore {
    let db: PostgresConnection

    public init(_ db: PostgresConnection) {
        self.db = db
    }

    /// Replaces the drafts of `period` (of one customer, or all) with
    /// `invoices`, in the caller's transaction. Issued invoices are never
    /// touched (and the database would refuse).
    func replaceDrafts(period: BillingMonth, customer: String?, with invoices: [Invoice]) throws {
        try db.execute(
            """
            DELETE FROM invoices WHERE period = \(period.firstDay) AND status = 'draft'
              AND (\(customer)::text IS NULL OR customer_id = \(customer))
            """)
        guard !invoices.isEmpty else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try db.copyIn(
            """
            COPY invoices (customer_id, period, status, currency, issuer, customer, subtotal, credits_total, tax_total, total)
            FROM STDIN
            """
        ) { w in
            for invoice in invoices {
                try w.field(invoice.customer.id)
                try w.field(invoice.period.firstDay)
                try w.field("draft")
                try w.field(invoice.currency.code)
                try w.field(String(decoding: try encoder.encode(invoice.issuer), as: UTF8.self))
                try w.field(String(decoding: try encoder.encode(invoice.customer), as: UTF8.self))
                try w.field(invoice.subtotal.amount)
                try w.field(invoice.creditsTotal.amount)
                try w.field(invoice.taxTotal.amount)
                try w.field(invoice.total.amount)
                try w.endRow()
            }
        }
        try db.copyIn(
            """
            COPY invoice_lines (customer_id, period, line_no, usage_month, model, token_class, card, card_version, base_card,
                                base_version, band, band_label, quantity, unit_price, amount) FROM STDIN
            """
        ) { w in
            for invoice in invoices {
                for line in invoice.lines {
                    try w.field(invoice.customer.id)
                    try w.field(invoice.period.firstDay)
                    w.field(line.number)
                    try w.field(line.usageMonth.firstDay)
                    try w.field(line.model)
                    try w.field(line.tokenClass.rawValue)
                    try w.field(line.source.card)
                    try w.field(line.source.version)
                    try w.field(line.source.baseCard)
                    try w.field(line.source.baseVersion)
                    w.field(line.band)
                    try w.field(line.bandLabel)
                    w.field(Int(line.quantity))
                    try w.field(line.unitPricePerMillion)
                    try w.field(line.amount.amount)
                    try w.endRow()
                }
            }
        }
        try db.copyIn("COPY invoice_credits (customer_id, period, grant_id, amount) FROM STDIN") { w in
            for invoice in invoices {
                for credit in invoice.credits {
                    try w.field(invoice.customer.id)
                    try w.field(invoice.period.firstDay)
                    w.field(CreditStore.id(credit.grantID) ?? 0)
                    try w.field(credit.amount.amount)
                    try w.endRow()
                }
            }
        }
        try db.copyIn("COPY invoice_taxes (customer_id, period, category, name, percent, base, amount) FROM STDIN") { w in
            for invoice in invoices {
                for tax in invoice.taxes {
                    try w.field(invoice.customer.id)
                    try w.field(invoice.period.firstDay)
                    try w.field(tax.category.rawValue)
                    try w.field(tax.name)
                    try w.field(tax.percent)
                    try w.field(tax.base.amount)
                    try w.field(tax.amount.amount)
                    try w.endRow()
                }
            }
        }
        try db.copyIn(
            """
            COPY invoice_tag_usage (customer_id, period, tag, model, input_tokens, cached_input_tokens, output_tokens, events)
            FROM STDIN
            """
        ) { w in
            for invoice in invoices {
                for usage in invoice.tagUsage {
                    try w.field(invoice.customer.id)
                    try w.field(invoice.period.firstDay)
                    try w.field(usage.tag)
                    try w.field(usage.model)
                    w.field(Int(usage.tokens.input))
                    w.field(Int(usage.tokens.cachedInput))
                    w.field(Int(usage.tokens.output))
                    w.field(Int(usage.events))
                    try w.endRow()
                }
            }
        }
    }

    /// An invoice by number (`INV-2026-000001`) or draft name (`acme/2026-11`).
    public func invoice(named name: String) throws -> Invoice {
        let found: [Invoice]
        if let slash = name.lastIndex(of: "/") {
            let period = try BillingMonth(parsing: String(name[name.index(after: slash)...]))
            found = try invoices(where: "i.customer_id = \(String(name[..<slash])) AND i.period = \(period.firstDay)")
        } else {
            found = try invoices(where: "i.number = \(name)")
        }
        guard let invoice = found.first else {
            throw InvoiceError(.notFound, "no invoice '\(name)' (give a number like INV-2026-000001 or a draft as customer/YYYY-MM)")
        }
        return invoice
    }

    /// The invoices of a period (optionally one customer), sorted by customer.
    public func invoices(period: BillingMonth, customer: String? = nil) throws -> [Invoice] {
        try invoices(where: "i.period = \(period.firstDay) AND (\(customer)::text IS NULL OR i.customer_id = \(customer))")
    }

    /// Every invoice (for whole-database checks), sorted by period and customer.
    public func allInvoices() throws -> [Invoice] {
        try invoices(where: "true")
    }

    private func invoices(where condition: SQL) throws -> [Invoice] {
        let decoder = JSONDecoder()
        struct Key: Hashable {
            let customer: String
            let period: CivilDate
        }
        var order: [Key] = []
        var invoices: [Key: Invoice] = [:]
        for row in try db.execute(
            """
            SELECT i.customer_id, i.period, i.status, i.number, i.currency, i.issue_date, i.due_date, i.paid_on, i.issuer::text,
                   i.customer::text, i.subtotal, i.credits_total, i.tax_total, i.total
            FROM invoices i WHERE \(condition) ORDER BY i.period, i.customer_id
            """)
        {
            let key = Key(customer: try row.decode(0), period: try row.decode(1))
            let currency = try Currency(code: try row.decode(4, as: String.self))
            guard let status = Invoice.Status(rawValue: try row.decode(2)) else { continue }
            order.append(key)
            invoices[key] = Invoice(
                issuer: try decoder.decode(Issuer.self, from: Data(try row.decode(8, as: String.self).utf8)),
                customer: try decoder.decode(Customer.self, from: Data(try row.decode(9, as: String.self).utf8)),
                period: BillingMonth(containing: key.period), currency: currency, status: status, number: try row.decode(3),
                issueDate: try row.decode(5), dueDate: try row.decode(6), paidOn: try row.decode(7), lines: [],
                subtotal: Money(try row.decode(10), currency), credits: [], creditsTotal: Money(try row.decode(11), currency),
                taxes: [], taxTotal: Money(try row.decode(12), currency), total: Money(try row.decode(13), currency), tagUsage: [])
        }
        guard !order.isEmpty else { return [] }
        for row in try db.execute(
            """
            SELECT l.customer_id, l.period, l.line_no, l.usage_month, l.model, l.token_class, l.card, l.card_version, l.base_card,
                   l.base_version, l.band, l.band_label, l.quantity, l.unit_price, l.amount
            FROM invoice_lines l JOIN invoices i USING (customer_id, period) WHERE \(condition)
            ORDER BY l.customer_id, l.period, l.line_no
            """)
        {
            let key = Key(customer: try row.decode(0), period: try row.decode(1))
            guard let currency = invoices[key]?.currency, let tokenClass = TokenClass(rawValue: try row.decode(5)) else { continue }
            invoices[key]!.lines.append(InvoiceLine(
                number: try row.decode(2), usageMonth: BillingMonth(containing: try row.decode(3)), model: try row.decode(4),
                tokenClass: tokenClass,
                source: PriceSource(card: try row.decode(6), version: try row.decode(7), baseCard: try row.decode(8), baseVersion: try row.decode(9)),
                band: try row.decode(10), bandLabel: try row.decode(11), quantity: try row.decode(12),
                unitPricePerMillion: try row.decode(13), amount: Money(try row.decode(14), currency)))
        }
        for row in try db.execute(
            """
            SELECT c.customer_id, c.period, c.grant_id, g.reason, g.expires_on, c.amount
            FROM invoice_credits c JOIN invoices i USING (customer_id, period) JOIN credit_grants g ON g.id = c.grant_id
            WHERE \(condition) ORDER BY c.customer_id, c.period, g.expires_on, g.id
            """)
        {
            let key = Key(customer: try row.decode(0), period: try row.decode(1))
            guard let currency = invoices[key]?.currency else { continue }
            invoices[key]!.credits.append(CreditApplication(
                grantID: CreditStore.name(try row.decode(2)), reason: try row.decode(3), expiresOn: try row.decode(4),
                amount: Money(try row.decode(5), currency)))
        }
        for row in try db.execute(
            """
            SELECT t.customer_id, t.period, t.category, t.name, t.percent, t.base, t.amount
            FROM invoice_taxes t JOIN invoices i USING (customer_id, period) WHERE \(condition)
            ORDER BY t.customer_id, t.period, t.category, t.percent
            """)
        {
            let key = Key(customer: try row.decode(0), period: try row.decode(1))
            guard let currency = invoices[key]?.currency, let category = TaxCategory(rawValue: try row.decode(2)) else { continue }
            invoices[key]!.taxes.append(InvoiceTax(
                category: category, name: try row.decode(3), percent: try row.decode(4), base: Money(try row.decode(5), currency),
                amount: Money(try row.decode(6), currency)))
        }
        for row in try db.execute(
            """
            SELECT u.customer_id, u.period, u.tag, u.model, u.input_tokens, u.cached_input_tokens, u.output_tokens, u.events
            FROM invoice_tag_usage u JOIN invoices i USING (customer_id, period) WHERE \(condition)
            ORDER BY u.customer_id, u.period, u.tag, u.model
            """)
        {
            let key = Key(customer: try row.decode(0), period: try row.decode(1))
            guard invoices[key] != nil else { continue }
            invoices[key]!.tagUsage.append(TagUsage(
                tag: try row.decode(2), model: try row.decode(3),
                tokens: TokenCounts(input: try row.decode(4), cachedInput: try row.decode(5), output: try row.decode(6)),
                events: try row.decode(7)))
        }
        return order.map { invoices[$0]! }
    }
}
