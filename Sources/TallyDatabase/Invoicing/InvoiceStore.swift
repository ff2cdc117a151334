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

    /// Replaces the drafts of `period` (of one customer, or all) with the
    /// invoices `produce` hands to its `write` function, in the caller's
    /// transaction. Each invoice streams to the server as soon as it is
    /// written, so the server stores one while the next is being priced; if
    /// `produce` throws, the COPY is aborted and nothing is kept. Issued
    /// invoices are never touched (and the database would refuse).
    func replaceDrafts(
        period: BillingMonth, customer: String?, produce: (_ write: (Invoice) throws -> Void) throws -> Void
    ) throws {
        try db.execute(
            """
            DELETE FROM invoices WHERE period = \(period.firstDay) AND status = 'draft'
              AND (\(customer)::text IS NULL OR customer_id = \(customer))
            """)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Every draft of a run has the same issuer: encode it once.
        var issuers: [Issuer: String] = [:]
        func issuerJSON(_ issuer: Issuer) throws -> String {
            if let json = issuers[issuer] { return json }
            let json = String(decoding: try encoder.encode(issuer), as: UTF8.self)
            issuers[issuer] = json
            return json
        }
        var withCredits: [Invoice] = []
        try db.copyIn(
            """
            COPY invoices (customer_id, period, status, currency, issuer, customer, lines, taxes, tag_usage,
                           subtotal, credits_total, tax_total, total)
            FROM STDIN
            """
        ) { w in
            try produce { invoice in
                try w.field(invoice.customer.id)
                try w.field(invoice.period.firstDay)
                try w.field("draft")
                try w.field(invoice.currency.code)
                try w.field(try issuerJSON(invoice.issuer))
                try w.field(utf8: InvoiceParts.customer(invoice.customer)[...])
                try w.field(utf8: InvoiceParts.lines(invoice.lines)[...])
                try w.field(utf8: InvoiceParts.taxes(invoice.taxes)[...])
                try w.field(utf8: InvoiceParts.tagUsage(invoice.tagUsage)[...])
                try w.field(invoice.subtotal.amount)
                try w.field(invoice.creditsTotal.amount)
                try w.field(invoice.taxTotal.amount)
                try w.field(invoice.total.amount)
                try w.endRow()
                if !invoice.credits.isEmpty { withCredits.append(invoice) }
            }
        }
        guard !withCredits.isEmpty else { return }
        try db.copyIn("COPY invoice_credits (customer_id, period, grant_id, amount) FROM STDIN") { w in
            for invoice in withCredits {
                for credit in invoice.credits {
                    try w.field(invoice.customer.id)
                    try w.field(invoice.period.firstDay)
                    w.field(CreditStore.id(credit.grantID) ?? 0)
                    try w.field(credit.amount.amount)
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
                   i.customer::text, i.subtotal, i.credits_total, i.tax_total, i.total, i.lines::text, i.taxes::text, i.tag_usage::text
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
                issueDate: try row.decode(5), dueDate: try row.decode(6), paidOn: try row.decode(7),
                lines: try InvoiceParts.lines(try row.decode(14), currency: currency),
                subtotal: Money(try row.decode(10), currency), credits: [], creditsTotal: Money(try row.decode(11), currency),
                taxes: try InvoiceParts.taxes(try row.decode(15), currency: currency), taxTotal: Money(try row.decode(12), currency),
                total: Money(try row.decode(13), currency), tagUsage: try InvoiceParts.tagUsage(try row.decode(16)))
        }
        guard !order.isEmpty else { return [] }
        for row in try db.execute(
            """
            SELECT c.customer_id, c.period, c.grant_id, g.reason, g.expires_on, c.amount
            FROM invoice_credits c JOIN invoices i USING (customer_id, period) JOIN credit_grants g ON g.id = c.grant_id
            WHERE \(condition) ORDER BY c.customer_id, c.period, g.expires_on, g.granted_on, g.id
            """)
        {
            let key = Key(customer: try row.decode(0), period: try row.decode(1))
            guard let currency = invoices[key]?.currency else { continue }
            invoices[key]!.credits.append(CreditApplication(
                grantID: CreditStore.name(try row.decode(2)), reason: try row.decode(3), expiresOn: try row.decode(4),
                amount: Money(try row.decode(5), currency)))
        }
        return order.map { invoices[$0]! }
    }
}
