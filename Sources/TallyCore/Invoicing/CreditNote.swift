/// A correction of a finalized invoice (SPEC §5): `CN-2026-000001`,
/// referencing it. Voiding credits every line in full; a partial credit
/// note credits chosen lines (or parts of them). Amounts are positive
/// figures that reduce what the customer owes; tax is computed on the
/// credited net at the invoice's rate, rounded once.
public struct CreditNote: Hashable, Sendable {
    public struct Line: Hashable, Sendable {
        /// The invoice line credited.
        public let invoiceLine: Int
        public let description: String
        public let amount: Money

        public init(invoiceLine: Int, description: String, amount: Money) {
            self.invoiceLine = invoiceLine
            self.description = description
            self.amount = amount
        }
    }

    public var number: String
    public var invoiceNumber: String
    public var issueDate: CivilDate
    public var reason: String
    public var issuer: Issuer
    public var customer: Customer
    public var period: BillingMonth
    public var currency: Currency
    public var lines: [Line]
    /// Credits the invoice had applied that this note gives back to the
    /// customer's grants (a void returns them all).
    public var creditsReturned: Money
    public var net: Money
    public var taxes: [InvoiceTax]
    public var taxTotal: Money
    public var total: Money

    public init(number: String, invoiceNumber: String, issueDate: CivilDate, reason: String, issuer: Issuer, customer: Customer,
                period: BillingMonth, currency: Currency, lines: [Line], creditsReturned: Money, net: Money, taxes: [InvoiceTax],
                taxTotal: Money, total: Money) {
        self.number = number
        self.invoiceNumber = invoiceNumber
        self.issueDate = issueDate
        self.reason = reason
        self.issuer = issuer
        self.customer = customer
        self.period = period
        self.currency = currency
        self.lines = lines
        self.creditsReturned = creditsReturned
        self.net = net
        self.taxes = taxes
        self.taxTotal = taxTotal
        self.total = total
    }

    /// A credit note for `invoice`: `credited` maps invoice line numbers to
    /// the amount credited (nil = the whole invoice, i.e. a void).
    /// `alreadyCredited` is what earlier credit notes took from each line;
    /// no line can be credited beyond its amount.
    public static func build(
        for invoice: Invoice, number: String, issueDate: CivilDate, reason: String, credited: [Int: Money]?,
        alreadyCredited: [Int: Money] = [:]
    ) throws -> CreditNote {
        try DocumentReason.check(reason, for: credited == nil ? "a void" : "a credit note", shownOn: "on the credit note")
        guard let invoiceNumber = invoice.number, invoice.status == .finalized || invoice.status == .paid else {
            throw InvoiceError(.state, "\(invoice.name) is \(invoice.status.rawValue): only a finalized invoice can be credited")
        }
        let currency = invoice.currency
        var lines: [Line] = []
        let byNumber = Dictionary(uniqueKeysWithValues: invoice.lines.map { ($0.number, $0) })
        // A void credits every line with an amount (a line of a few tokens can round to zero).
        let wanted = credited ?? Dictionary(uniqueKeysWithValues: invoice.lines.filter { !$0.amount.isZero }.map { ($0.number, $0.amount) })
        for (number, amount) in wanted.sorted(by: { $0.key < $1.key }) {
            guard let line = byNumber[number] else {
                throw InvoiceError(.notFound, "\(invoiceNumber) has no line \(number) (it has \(invoice.lines.count))")
            }
            guard amount.currency == currency, amount.amount > .zero, amount.isRoundedToMinorUnits else {
                throw InvoiceError(.credit, "line \(number): credit \(amount) must be positive, in \(currency), in whole \(currency) minor units")
            }
            let left = try line.amount - (alreadyCredited[number] ?? .zero(currency))
            guard amount.amount <= left.amount else {
                throw InvoiceError(.credit, "line \(number): \(amount) is more than the \(left) left to credit on it")
            }
            lines.append(Line(invoiceLine: number, description: line.description(invoicePeriod: invoice.period), amount: amount))
        }
        guard !lines.isEmpty || credited == nil else {
            throw InvoiceError(.credit, "a credit note needs at least one line")
        }
        let linesTotal = try lines.map(\.amount).sum(in: currency)
        // A void gives back the credits the invoice consumed, so the net
        // credited is what the customer was charged before tax.
        let creditsReturned = credited == nil ? invoice.creditsTotal : .zero(currency)
        let net = try linesTotal - creditsReturned
        let taxes = try invoice.taxes.map { tax in
            credited == nil
                ? tax
                : try InvoiceTax(category: tax.category, name: tax.name, percent: tax.percent, base: net)
        }
        let taxTotal = try taxes.map(\.amount).sum(in: currency)
        return CreditNote(
            number: number, invoiceNumber: invoiceNumber, issueDate: issueDate, reason: reason, issuer: invoice.issuer,
            customer: invoice.customer, period: invoice.period, currency: currency, lines: lines, creditsReturned: creditsReturned,
            net: net, taxes: taxes, taxTotal: taxTotal, total: try net + taxTotal)
    }
}
