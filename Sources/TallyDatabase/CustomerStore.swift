import Foundation
import TallyCore
import TallyPostgres

/// Customers: validated CSV import, single adds, reads.
public struct CustomerStore {
    let db: PostgresConnection
    /// The issuer's country (`config/issuer.yaml`): a reverse-charge customer
    /// there is refused when it is written, not when its first invoice is built.
    let issuerCountry: String?

    /// `issuerCountry` nil skips the issuer check (reads, and card assignment
    /// of customers already validated).
    public init(_ db: PostgresConnection, issuerCountry: String? = nil) {
        self.db = db
        self.issuerCountry = issuerCountry
    }

    /// Columns of a customers CSV file (`vat_id` and `card` may be empty).
    public static let columns = ["id", "name", "billing_email", "country", "vat_id", "tax_treatment", "currency", "card"]

    public struct ImportSummary: Sendable, Equatable {
        public var inserted = 0
        public var updated = 0
        public var unchanged = 0

        public init(inserted: Int = 0, updated: Int = 0, unchanged: Int = 0) {
            self.inserted = inserted
            self.updated = updated
            self.unchanged = unchanged
        }
    }

    /// Imports a CSV file: every row is validated (and checked against the
    /// rate cards), every problem listed with file:line; nothing is written
    /// if anything is wrong. Importing the same file again changes nothing.
    /// With `audit`, each new or changed customer records `customers.create`
    /// or `customers.update` in the same transaction.
    public func importFile(_ path: String, audit: AuditActor? = nil) throws -> ImportSummary {
        var csv = try CSVFile(path: path)
        let missing = Self.columns.filter { !["vat_id", "card"].contains($0) && !csv.header.contains($0) }
        guard missing.isEmpty else {
            throw ImportError([ImportProblem(file: path, line: 1, "missing column(s): \(missing.joined(separator: ", ")); expected \(Self.columns.joined(separator: ","))")])
        }
        let columns = Dictionary(uniqueKeysWithValues: csv.header.enumerated().map { ($1, $0) })
        var customers: [(Int, Customer)] = []
        var problems: [ImportProblem] = []
        var seen: [String: Int] = [:]
        while let (line, fields) = try csv.next() {
            var r = FieldReader(file: path, line: line, columns: columns, fields: fields)
            guard fields.count == csv.header.count else {
                problems.append(ImportProblem(file: path, line: line, "has \(fields.count) fields, the header has \(csv.header.count)"))
                continue
            }
            if let customer = Self.parse(&r) {
                if let first = seen[customer.id] {
                    problems.append(ImportProblem(file: path, line: line, column: "id", value: customer.id, "already defined at line \(first)"))
                } else {
                    seen[customer.id] = line
                    customers.append((line, customer))
                }
            }
            problems += r.problems
        }
        return try save(customers.map { ($0.1, ImportProblem(file: path, line: $0.0, "")) }, problems: problems, audit: audit)
    }

    /// Adds or updates one customer, with the same checks as the import.
    /// With `audit`, records `customers.create` or `customers.update` (nothing
    /// when unchanged) in the same transaction.
    public func add(_ fields: [String: String], audit: AuditActor? = nil) throws -> ImportSummary {
        var r = FieldReader(file: "customers add", line: 1, columns: Dictionary(uniqueKeysWithValues: Self.columns.enumerated().map { ($1, $0) }),
                            fields: Self.columns.map { fields[$0] ?? "" })
        let customer = Self.parse(&r)
        return try save(customer.map { [($0, ImportProblem(file: "customers add", line: nil, ""))] } ?? [], problems: r.problems, audit: audit)
    }

    static func parse(_ r: inout FieldReader) -> Customer? {
        let id = r.text("id")
        if let id, id.range(of: #"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"#, options: .regularExpression) == nil {
            r.problem("id", id, "use letters, digits, '.', '_' or '-' (at most 64)")
        }
        let name = r.text("name")
        // White space alone passes the table's check but names nobody on an invoice.
        if let name, name.allSatisfy(\.isWhitespace) { r.problem("name", name, "only white space: give the customer's name") }
        // Control characters (U+0001–U+001F, U+007F) cannot appear in an
        // e-invoice (XML 1.0) and print as garbage elsewhere: refused in the
        // fields an invoice shows (found by scripts/reliability/60-bad-inputs.sh).
        for column in ["name", "billing_email", "vat_id"] {
            let value = r.raw(column)
            if value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) && !value.utf8.contains(0) {
                r.problem(column, value.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : String($0) }.joined(),
                          "contains control characters, which an invoice cannot show")
            }
        }
        let email = r.text("billing_email")
        if let email, email.range(of: #"^[^@\s]+@[^@\s]+\.[^@\s]+$"#, options: .regularExpression) == nil {
            r.problem("billing_email", email, "not an email address")
        }
        let country = r.text("country")
        if let country, !(country.utf8.count == 2 && country.utf8.allSatisfy { $0 >= 65 && $0 <= 90 }) {
            r.problem("country", country, "not an ISO 3166-1 alpha-2 code (two upper-case letters)")
        }
        let vat = r.optionalText("vat_id")
        if let vat, vat.allSatisfy(\.isWhitespace) { r.problem("vat_id", vat, "only white space: leave it out when the customer has none") }
        let treatmentText = r.text("tax_treatment")
        let treatment = treatmentText.flatMap(Customer.TaxTreatment.init(rawValue:))
        if let treatmentText, treatment == nil {
            r.problem("tax_treatment", treatmentText, "must be standard, reverse_charge or exempt")
        }
        if treatment == .reverseCharge {
            if vat == nil { r.problem("vat_id", nil, "is required for reverse_charge") }
            if let country, !Customer.euCountries.contains(country) {
                r.problem("tax_treatment", "reverse_charge", "applies to EU business customers only (country \(country))")
            }
        }
        let currency = r.currency("currency")
        let card = r.optionalText("card") ?? "public"
        guard r.problems.isEmpty, let id, let name, let email, let country, let treatment, let currency else { return nil }
        return Customer(id: id, name: name, billingEmail: email, country: country, vatID: vat, taxTreatment: treatment,
                        currency: currency, card: card)
    }

    /// Checks cards, then upserts in one transaction.
    private func save(_ customers: [(Customer, ImportProblem)], problems: [ImportProblem], audit: AuditActor? = nil) throws -> ImportSummary {
        try db.transaction {
            var problems = problems
            var cardCurrency: [String: Currency] = [:]
            for row in try db.execute("SELECT id, currency FROM rate_cards") {
                cardCurrency[try row.decode(0)] = try row.decode(1, as: Currency.self)
            }
            for (customer, at) in customers {
                if let issuerCountry, customer.taxTreatment == .reverseCharge, customer.country == issuerCountry {
                    problems.append(ImportProblem(file: at.file, line: at.line, column: "tax_treatment", value: "reverse_charge",
                        "the issuer is in \(issuerCountry) too: reverse charge is for EU business customers in another country; use standard"))
                }
                guard let currency = cardCurrency[customer.card] else {
                    problems.append(ImportProblem(file: at.file, line: at.line, column: "card", value: customer.card,
                        "no such rate card (load cards first: tally rates load)"))
                    continue
                }
                if currency != customer.currency {
                    problems.append(ImportProblem(file: at.file, line: at.line, column: "currency", value: customer.currency.code,
                        "differs from card '\(customer.card)' (\(currency.code)): a customer is billed in its card's currency"))
                }
            }
            guard problems.isEmpty else { throw ImportError(problems) }
            var summary = ImportSummary()
            for (c, _) in customers {
                let result = try db.execute(
                    """
                    INSERT INTO customers AS t (id, name, billing_email, country, vat_id, tax_treatment, currency, card_id)
                    VALUES (\(c.id), \(c.name), \(c.billingEmail), \(c.country), \(c.vatID), \(c.taxTreatment.rawValue), \(c.currency), \(c.card))
                    ON CONFLICT (id) DO UPDATE SET name = excluded.name, billing_email = excluded.billing_email,
                        country = excluded.country, vat_id = excluded.vat_id, tax_treatment = excluded.tax_treatment,
                        currency = excluded.currency, card_id = excluded.card_id
                    WHERE (t.name, t.billing_email, t.country, t.vat_id, t.tax_treatment, t.currency, t.card_id)
                          IS DISTINCT FROM (excluded.name, excluded.billing_email, excluded.country, excluded.vat_id,
                                            excluded.tax_treatment, excluded.currency, excluded.card_id)
                    RETURNING (xmax = 0) AS inserted
                    """)
                if let row = result.first {
                    let inserted = try row.decode(0, as: Bool.self)
                    if inserted { summary.inserted += 1 } else { summary.updated += 1 }
                    try AuditStore.record(
                        audit, inserted ? .customersCreate : .customersUpdate, target: c.id,
                        details: ["card": c.card, "currency": c.currency.code], on: db)
                } else {
                    summary.unchanged += 1
                }
            }
            return summary
        }
    }

    /// Puts a customer on a rate card (an accepted quote's custom card),
    /// through the same checks as an import: the card must exist and be in
    /// the customer's currency.
    public func assignCard(customer id: String, card: String) throws {
        guard let c = try customer(id: id) else {
            throw ImportError([ImportProblem(file: "customers", line: nil, column: "id", value: id, "no such customer")])
        }
        let moved = Customer(id: c.id, name: c.name, billingEmail: c.billingEmail, country: c.country, vatID: c.vatID,
                             taxTreatment: c.taxTreatment, currency: c.currency, card: card)
        _ = try save([(moved, ImportProblem(file: "customers", line: nil, column: "card", value: card, "assigned"))], problems: [])
    }

    public func all() throws -> [Customer] {
        try read("SELECT id, name, billing_email, country, vat_id, tax_treatment, currency, card_id FROM customers ORDER BY id")
    }

    /// One customer, or nil.
    public func customer(id: String) throws -> Customer? {
        try read(
            "SELECT id, name, billing_email, country, vat_id, tax_treatment, currency, card_id FROM customers WHERE id = \(id)"
        ).first
    }

    private func read(_ sql: SQL) throws -> [Customer] {
        try db.execute(sql).map { row in
            Customer(id: try row.decode(0), name: try row.decode(1), billingEmail: try row.decode(2), country: try row.decode(3),
                     vatID: try row.decode(4, as: String?.self),
                     taxTreatment: Customer.TaxTreatment(rawValue: try row.decode(5, as: String.self))!,
                     currency: try row.decode(6, as: Currency.self), card: try row.decode(7))
        }
    }
}
