/// What a route needs from the key that calls it; ``Role/allows(_:)`` says
/// which roles have it. Routes name one permission each (docs/api.md).
public enum Permission: String, Sendable, CaseIterable, Hashable {
    /// `POST /v1/usage/events`.
    case usageWrite = "usage.write"
    /// A customer's usage by month.
    case usageRead = "usage.read"
    case customersRead = "customers.read"
    case customersWrite = "customers.write"
    case ratesRead = "rates.read"
    /// Invoices, credit notes and payments: read.
    case invoicesRead = "invoices.read"
    /// Runs, finalize, void, credit notes, payments.
    case invoicesWrite = "invoices.write"
    case quotesRead = "quotes.read"
    case quotesWrite = "quotes.write"
    /// Cost and margin reports.
    case reportsRead = "reports.read"
    /// `GET /metrics`.
    case metrics
    /// Managing API keys (admin only).
    case keys

    /// Reading only (ops has every one of them).
    public var isReadOnly: Bool {
        switch self {
        case .usageRead, .customersRead, .ratesRead, .invoicesRead, .quotesRead, .reportsRead: true
        default: false
        }
    }
}
