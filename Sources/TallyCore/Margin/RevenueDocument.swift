/// An invoice (draft, finalized or paid) of the period, or the rated month of
/// a customer without one: the subtotal the revenue lines must add up to.
///
/// Kept apart from ``RevenueLine`` on purpose: the store reads subtotals from
/// the invoice headers and lines from the stored lines, and the report checks
/// that they agree per currency.
public struct RevenueDocument: Hashable, Sendable {
    public let customer: String
    /// `INV-2026-000001`, a draft's `acme/2026-11`, or `acme/2026-11 (rated)`.
    public let name: String
    /// Before credits (SPEC §7).
    public let subtotal: Money
    public let invoiced: Bool
    /// An invoice not finalized yet: counted as it stands, and said so.
    public let isDraft: Bool

    public init(customer: String, name: String, subtotal: Money, invoiced: Bool, isDraft: Bool = false) {
        self.customer = customer
        self.name = name
        self.subtotal = subtotal
        self.invoiced = invoiced
        self.isDraft = isDraft
    }
}
