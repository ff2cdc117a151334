/// Builds a customer's invoice for a month from its priced lines (pure).
///
/// The steps, each exact, rounding only where SPEC §2 says:
/// 1. lines: the month's own usage, then late usage of earlier months, each
///    already rounded once by the rater; numbered in a stable order;
/// 2. subtotal = sum of the lines;
/// 3. credits: grants that serve the period, earliest expiry first, never
///    below zero;
/// 4. tax on subtotal − credits, at the customer's rate, rounded once;
/// 5. total = subtotal − credits + tax.
public enum InvoiceBuilder {
    /// Lines of one usage month, as the rater priced them.
    public struct MonthLines: Sendable {
        public let month: BillingMonth
        public let lines: [RatedLine]

        public init(month: BillingMonth, lines: [RatedLine]) {
            self.month = month
            self.lines = lines
        }
    }

    public static func build(
        issuer: Issuer, customer: Customer, period: BillingMonth, usage: [MonthLines],
        credits: [(grant: CreditGrant, remaining: Money)], tax: TaxRate?, tagUsage: [TagUsage]
    ) throws -> Invoice {
        let currency = customer.currency
        var lines: [InvoiceLine] = []
        for month in usage.sorted(by: { $0.month < $1.month }) {
            for rated in month.lines.sorted() {
                guard rated.amount.currency == currency else {
                    throw InvoiceError(.currency, "\(customer.id): a line in \(rated.amount.currency) on an invoice in \(currency)")
                }
                lines.append(InvoiceLine(number: lines.count + 1, usageMonth: month.month, rated: rated))
            }
        }
        let subtotal = try lines.map(\.amount).sum(in: currency)
        let applied = try CreditApplication.apply(credits.filter { $0.grant.serves(period, currency: currency) }, to: subtotal)
        let creditsTotal = try applied.map(\.amount).sum(in: currency)
        let base = try subtotal - creditsTotal
        let invoiceTax = try taxLine(customer: customer, issuer: issuer, period: period, base: base, rate: tax)
        let total = try base + invoiceTax.amount
        return Invoice(
            issuer: issuer, customer: customer, period: period, currency: currency, status: .draft, number: nil, issueDate: nil,
            dueDate: nil, paidOn: nil, lines: lines, subtotal: subtotal, credits: applied, creditsTotal: creditsTotal,
            taxes: [invoiceTax], taxTotal: invoiceTax.amount, total: total,
            tagUsage: tagUsage.sorted { ($0.tag, $0.model) < ($1.tag, $1.model) })
    }

    /// The tax line for a customer: its treatment decides the category; the
    /// standard rate comes from the tax table for the customer's country on
    /// the last day of the period (the supply is continuous over the month
    /// and invoiced at its end).
    public static func taxLine(customer: Customer, issuer: Issuer, period: BillingMonth, base: Money, rate: TaxRate?) throws -> InvoiceTax {
        switch customer.taxTreatment {
        case .exempt:
            return try InvoiceTax(category: .exempt, name: rate?.name ?? "VAT", percent: .zero, base: base)
        case .reverseCharge:
            guard Customer.euCountries.contains(customer.country), customer.country != issuer.country, customer.vatID != nil else {
                throw InvoiceError(.tax, "\(customer.id): reverse charge needs an EU business customer with a VAT id outside \(issuer.country)")
            }
            return try InvoiceTax(category: .reverseCharge, name: "VAT", percent: .zero, base: base)
        case .standard:
            guard let rate else {
                throw InvoiceError(.tax, """
                    \(customer.id): no tax rate for country \(customer.country) on \(taxDate(period)) among the loaded tax rates: \
                    add one to a file in rates/tax/ (e.g. rates/tax/standard-rates.yaml) and load it with tally rates load
                    """)
            }
            return try InvoiceTax(category: rate.percent.isZero ? .outsideScope : .standard, name: rate.name, percent: rate.percent, base: base)
        }
    }

    /// The date whose tax rate applies to a period: its last day.
    public static func taxDate(_ period: BillingMonth) -> CivilDate {
        period.lastDay
    }
}
