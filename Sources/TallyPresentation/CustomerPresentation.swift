import TallyCore

/// Customers as rows and JSON objects: `tally customers list` (every format),
/// and one customer with the same keys (the server's customer show).
public enum CustomerPresentation {
    public static let header = ["id", "name", "billing email", "country", "VAT id", "tax", "currency", "card"]
    /// The JSON keys, one per column.
    public static let jsonKeys = ["id", "name", "billing_email", "country", "vat_id", "tax_treatment", "currency", "card"]

    /// A customer's cells; no VAT id is an empty cell.
    public static func row(_ c: Customer) -> [String] {
        [c.id, c.name, c.billingEmail, c.country, c.vatID ?? "", c.taxTreatment.rawValue, c.currency.code, c.card]
    }

    /// `tally customers list --format table|csv`, and the rows of its JSON
    /// (``TabularOutput/json(keys:integerColumns:)`` with ``jsonKeys``).
    public static func table(_ customers: [Customer]) -> TabularOutput {
        TabularOutput(header: header, rows: customers.map(row), textColumns: Set(0..<8))
    }

    /// `tally customers list --format json`: an array of ``object(_:)``.
    public static func listJSON(_ customers: [Customer]) throws -> String {
        try table(customers).json(keys: jsonKeys)
    }

    /// One customer as the object the list's JSON holds for it.
    public static func object(_ customer: Customer) -> JSONValue {
        .object(Dictionary(uniqueKeysWithValues: zip(jsonKeys, row(customer).map(JSONValue.text))))
    }
}
