import TallyCore
import TallyPostgres

/// Promotional credits: grants (a ledger, never edited) and what invoices
/// consumed of them.
public struct CreditStore {
    let db: PostgresConnection

    public init(_ db: PostgresConnection) {
        self.db = db
    }

    /// Records a grant; returns it with its id. With `audit`, records
    /// `credits.grant` in the same transaction.
    @discardableResult
    public func grant(
        customer: String, amount: Money, expiresOn: CivilDate, reason: String, grantedOn: CivilDate, audit: AuditActor? = nil
    ) throws -> CreditGrant {
        try DocumentReason.check(reason, for: "a grant", shownOn: "on invoices and in the credit ledger")
        guard amount.amount > .zero, amount.isRoundedToMinorUnits else {
            throw InvoiceError(.credit, "a grant is a positive amount in whole \(amount.currency) minor units, not \(amount)")
        }
        guard expiresOn >= grantedOn else {
            throw InvoiceError(.credit, "the grant expires (\(expiresOn)) before it is granted (\(grantedOn))")
        }
        guard let holder = try CustomerStore(db).customer(id: customer) else {
            throw InvoiceError(.notFound, "no customer '\(customer)'")
        }
        guard holder.currency == amount.currency else {
            throw InvoiceError(.currency, "\(customer) is billed in \(holder.currency); a grant in \(amount.currency) could never be used")
        }
        let id = try db.transaction {
            let id = try db.scalar(
                """
                INSERT INTO credit_grants (customer_id, amount, currency, expires_on, reason, granted_on)
                VALUES (\(customer), \(amount.amount), \(amount.currency.code), \(expiresOn), \(reason), \(grantedOn)) RETURNING id
                """, as: Int.self)
            try AuditStore.record(
                audit, .creditsGrant, target: customer,
                details: [
                    "grant": Self.name(id), "amount": amount.exactText, "currency": amount.currency.code,
                    "expires_on": expiresOn.description, "granted_on": grantedOn.description, "reason": reason,
                ], on: db)
            return id
        }
        return CreditGrant(id: Self.name(id), customerID: customer, amount: amount, expiresOn: expiresOn, reason: reason, grantedOn: grantedOn)
    }

    /// `G-7` for grant 7.
    static func name(_ id: Int) -> String { "G-\(id)" }

    static func id(_ name: String) -> Int? {
        name.hasPrefix("G-") ? Int(name.dropFirst(2)) : Int(name)
    }

    /// Grants that can still serve the invoice of `period` (granted by its
    /// last day, not expired before its end), each with what is left for it: the amount minus what
    /// issued invoices took and what drafts of earlier months took (a later
    /// month's draft is rebuilt after this one, so it does not hold credit).
    public func available(for period: BillingMonth, customers: [String]? = nil) throws -> [String: [(grant: CreditGrant, remaining: Money)]] {
        let lastDay = period.lastDay
        let rows = try db.execute(
            """
            SELECT g.id, g.customer_id, g.amount, g.currency, g.expires_on, g.reason, g.granted_on,
                   g.amount - coalesce((
                       SELECT sum(c.amount) FROM invoice_credits c JOIN invoices i USING (customer_id, period)
                       WHERE c.grant_id = g.id AND i.period <> \(period.firstDay)
                         AND (i.status IN ('finalized', 'paid') OR (i.status = 'draft' AND i.period < \(period.firstDay)))), 0)
            FROM credit_grants g
            WHERE g.expires_on >= \(lastDay) AND g.granted_on <= \(lastDay) AND (\(customers)::text[] IS NULL OR g.customer_id = ANY(\(customers)))
            ORDER BY g.customer_id, g.expires_on, g.granted_on, g.id
            """)
        var result: [String: [(grant: CreditGrant, remaining: Money)]] = [:]
        for row in rows {
            let currency = try Currency(code: try row.decode(3, as: String.self))
            let grant = CreditGrant(
                id: Self.name(try row.decode(0)), customerID: try row.decode(1), amount: Money(try row.decode(2), currency),
                expiresOn: try row.decode(4), reason: try row.decode(5), grantedOn: try row.decode(6))
            let remaining = Money(try row.decode(7), currency)
            guard remaining.amount > .zero else { continue }
            result[grant.customerID, default: []].append((grant, remaining))
        }
        return result
    }

    /// One row of a customer's credit ledger.
    public struct LedgerEntry: Sendable, Hashable {
        public enum Kind: String, Sendable { case grant, consumed, expired }
        public let date: CivilDate
        public let kind: Kind
        public let grantID: String
        /// Positive for grants, negative for consumption and expiry.
        public let amount: Money
        public let balance: Money
        public let note: String
    }

    /// The ledger as of `asOf`: grants, consumption per invoice (drafts
    /// labelled as such; void invoices give their credits back), what expired
    /// unused, and the running balance, in date order; only what is dated on
    /// or before `asOf`.
    public func ledger(customer: String, asOf: CivilDate) throws -> [LedgerEntry] {
        struct Event {
            let date: CivilDate
            let order: Int
            let kind: LedgerEntry.Kind
            let grant: Int
            let amount: ExactDecimal
            let currency: Currency
            let note: String
        }
        var events: [Event] = []
        var left: [Int: ExactDecimal] = [:]
        var grants: [(id: Int, expires: CivilDate, currency: Currency)] = []
        for row in try db.execute(
            "SELECT id, amount, currency, expires_on, reason, granted_on FROM credit_grants WHERE customer_id = \(customer) ORDER BY id")
        {
            let id = try row.decode(0, as: Int.self)
            let amount = try row.decode(1, as: ExactDecimal.self)
            let currency = try Currency(code: try row.decode(2, as: String.self))
            let expires = try row.decode(3, as: CivilDate.self)
            left[id] = amount
            grants.append((id, expires, currency))
            events.append(Event(date: try row.decode(5), order: 0, kind: .grant, grant: id, amount: amount, currency: currency,
                                note: "\(try row.decode(4, as: String.self)) (expires \(expires))"))
        }
        for row in try db.execute(
            """
            SELECT c.grant_id, c.amount, g.currency, i.period, i.status, i.number, coalesce(i.issue_date, (i.period + interval '1 month')::date)
            FROM invoice_credits c JOIN invoices i USING (customer_id, period) JOIN credit_grants g ON g.id = c.grant_id
            WHERE c.customer_id = \(customer) AND i.status <> 'void'
            ORDER BY 7, i.period, c.grant_id
            """)
        {
            let id = try row.decode(0, as: Int.self)
            let amount = try row.decode(1, as: ExactDecimal.self)
            left[id] = try (left[id] ?? .zero) - amount
            let status = try row.decode(4, as: String.self)
            let period = try row.decode(3, as: CivilDate.self)
            let name = try row.decode(5, as: String?.self) ?? "\(customer)/\(BillingMonth(containing: period)) (draft)"
            events.append(Event(date: try row.decode(6), order: 1, kind: .consumed, grant: id, amount: amount.negated,
                                currency: try Currency(code: try row.decode(2, as: String.self)), note: "invoice \(name), \(status)"))
        }
        for grant in grants where grant.expires < asOf && (left[grant.id] ?? .zero) > .zero {
            events.append(Event(date: grant.expires.adding(days: 1), order: 2, kind: .expired, grant: grant.id, amount: left[grant.id]!.negated,
                                currency: grant.currency, note: "unused at expiry, forfeited"))
        }
        var balances: [Currency: ExactDecimal] = [:]
        // As of `asOf`: what happened after it (a later grant, a later invoice's consumption) is not there yet.
        return try events.filter { $0.date <= asOf }.sorted { ($0.date, $0.order, $0.grant) < ($1.date, $1.order, $1.grant) }.map { event in
            let balance = try (balances[event.currency] ?? .zero) + event.amount
            balances[event.currency] = balance
            return LedgerEntry(date: event.date, kind: event.kind, grantID: Self.name(event.grant), amount: Money(event.amount, event.currency),
                               balance: Money(balance, event.currency), note: event.note)
        }
    }
}
