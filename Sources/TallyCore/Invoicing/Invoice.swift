/// A customer's invoice for one calendar month (SPEC §5): lines, subtotal,
/// credits applied before tax, tax per rate, total. Every total is
/// recomputable from the lines (``verify()``).
public struct Invoice: Hashable, Sendable {
    public enum Status: String, Hashable, Sendable, CaseIterable {
        case draft, finalized, paid, void
    }

    public var issuer: Issuer
    public var customer: Customer
    public var period: BillingMonth
    public var currency: Currency
    public var status: Status
    /// `INV-2026-000001`, assigned at finalization.
    public var number: String?
    public var issueDate: CivilDate?
    public var dueDate: CivilDate?
    public var paidOn: CivilDate?
    public var lines: [InvoiceLine]
    /// Sum of the lines (each already rounded).
    public var subtotal: Money
    public var credits: [CreditApplication]
    public var creditsTotal: Money
    public var taxes: [InvoiceTax]
    public var taxTotal: Money
    /// Subtotal − credits + tax.
    public var total: Money
    public var tagUsage: [TagUsage]

    public init(issuer: Issuer, customer: Customer, period: BillingMonth, currency: Currency, status: Status, number: String?,
                issueDate: CivilDate?, dueDate: CivilDate?, paidOn: CivilDate?, lines: [InvoiceLine], subtotal: Money,
                credits: [CreditApplication], creditsTotal: Money, taxes: [InvoiceTax], taxTotal: Money, total: Money,
                tagUsage: [TagUsage]) {
        self.issuer = issuer
        self.customer = customer
        self.period = period
        self.currency = currency
        self.status = status
        self.number = number
        self.issueDate = issueDate
        self.dueDate = dueDate
        self.paidOn = paidOn
        self.lines = lines
        self.subtotal = subtotal
        self.credits = credits
        self.creditsTotal = creditsTotal
        self.taxes = taxes
        self.taxTotal = taxTotal
        self.total = total
        self.tagUsage = tagUsage
    }

    /// `acme/2026-11`: how a draft (which has no number yet) is named.
    public var draftName: String { "\(customer.id)/\(period)" }

    /// The number, or the draft name.
    public var name: String { number ?? draftName }

    /// Subtotal after credits: what tax is computed on.
    public var taxBase: Money { (try? subtotal - creditsTotal) ?? subtotal }
}
