import Foundation
import TallyCore
import TallyPostgres

/// Stored quotes: ids, the whole quote as JSON, status, acceptance.
///
/// A quote is stored as it was priced (its document), so showing it later
/// prints the same figures whatever cards, costs or market prices do since.
/// Its status is computed at read time: accepted, else expired once
/// `expires_at` has passed, else open.
public struct QuoteStore {
    let db: PostgresConnection

    public init(_ db: PostgresConnection) {
        self.db = db
    }

    /// A stored quote and what became of it.
    public struct Record: Sendable {
        public let quote: Quote
        public let status: Quote.Status
        public let acceptedAt: UTCTimestamp?
        public let acceptedCustomer: String?
        public let acceptedCard: String?
        public let acceptedEffectiveFrom: UTCTimestamp?
        public let acceptedFile: String?
    }

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    /// Stores `quote` under a new id `Q-YYYY-NNNNNN` (YYYY: the year it was
    /// made; NNNNNN from a sequence: unique and increasing) and returns it with the id.
    /// With `audit`, records `quote.create` in the same transaction (the
    /// server's requests; the CLI records none, docs/audit.md).
    public func save(_ quote: Quote, audit: AuditActor? = nil) throws -> Quote {
        try db.transaction {
            let number = try db.scalar("SELECT nextval('quote_numbers')", as: Int64.self)
            var stored = quote
            stored.id = "Q-\(quote.createdAt.date.year)-\(CivilDate.pad(Int(number), 6))"
            let document = String(decoding: try Self.encoder().encode(stored), as: UTF8.self)
            try db.execute(
                """
                INSERT INTO quotes (id, number, customer_id, prospect, created_at, expires_at, currency, basis_card_id,
                                    discount_percent, floor_percent, total_price, total_cost, flagged, document)
                VALUES (\(stored.id!), \(number), \(quote.customer), \(quote.prospect), \(quote.createdAt), \(quote.expiresAt),
                        \(quote.currency.code), \(quote.basis.card), \(quote.basis.discountPercent), \(quote.floorPercent),
                        \(quote.total.price), \(quote.total.cost), \(quote.failsFloor), \(document))
                """)
            try AuditStore.record(audit, .quoteCreate, target: stored.id!, on: db)
            return stored
        }
    }

    /// One quote by id, its status at `now`; nil when there is none.
    public func record(id: String, now: UTCTimestamp = TallyClock.current.now) throws -> Record? {
        try records(where: "id = \(id)", now: now).first
    }

    /// Quotes made, oldest first; only those with `status` if given.
    public func list(status: Quote.Status? = nil, now: UTCTimestamp = TallyClock.current.now) throws -> [Record] {
        try records(where: "true", now: now).filter { status == nil || $0.status == status }
    }

    private func records(where condition: SQL, now: UTCTimestamp) throws -> [Record] {
        let decoder = JSONDecoder()
        return try db.execute(
            """
            SELECT document::text, accepted_at, accepted_customer_id, accepted_card_id, accepted_effective_from, accepted_file
            FROM quotes WHERE \(condition) ORDER BY number
            """
        ).map { row in
            let quote = try decoder.decode(Quote.self, from: Data(try row.decode(0, as: String.self).utf8))
            let acceptedAt = try row.decode(1, as: UTCTimestamp?.self)
            return Record(
                quote: quote, status: quote.status(at: now, acceptedAt: acceptedAt), acceptedAt: acceptedAt,
                acceptedCustomer: try row.decode(2, as: String?.self), acceptedCard: try row.decode(3, as: String?.self),
                acceptedEffectiveFrom: try row.decode(4, as: UTCTimestamp?.self), acceptedFile: try row.decode(5, as: String?.self))
        }
    }

    /// Records the acceptance; refuses (nothing changed) a quote already accepted.
    public func markAccepted(
        id: String, customer: String, card: String, effectiveFrom: UTCTimestamp, file: String, at time: UTCTimestamp
    ) throws {
        let updated = try db.execute(
            """
            UPDATE quotes SET accepted_at = \(time), accepted_customer_id = \(customer), accepted_card_id = \(card),
                              accepted_effective_from = \(effectiveFrom), accepted_file = \(file)
            WHERE id = \(id) AND accepted_at IS NULL
            RETURNING id
            """)
        guard updated.count == 1 else { throw QuoteError(.refused, "quote \(id) was accepted meanwhile (or does not exist)") }
    }
}
