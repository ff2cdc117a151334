import Foundation
import Testing
import TallyCore
import TallyDatabase
import TallyPostgres
import TallyTesting

/// The audit log against PostgreSQL: one entry per committed change, written
/// in the change's transaction (none when it fails or rolls back), dated by
/// the actor's clock, append-only.
@Suite("Audit log")
struct AuditLogTests {
    static let actor = AuditActor(name: "finance-bot", role: "finance", clock: .fixed(at: TestClock.now))
    static func day(_ text: String) throws -> CivilDate { try CivilDate(parsing: text) }

    func entries(_ db: PostgresConnection) throws -> [AuditEntry] { try AuditStore(db).list() }

    @Test func finalizeVoidCreditNoteAndPaymentEachWriteOneEntry() async throws {
        try await InvoiceTests().withMonth { pool, _ in
            try await pool.withConnection { db in
                let store = InvoiceStore(db)
                let numbers = try store.finalize(
                    period: InvoiceTests.november, issuer: InvoiceTests.issuer, issueDate: try Self.day("2026-12-01"), audit: Self.actor)
                var log = try entries(db)
                #expect(log.count == 1)
                #expect(log.last?.action == .invoiceFinalize && log.last?.target == "2026-11")
                #expect(log.last?.details == ["issue_date": "2026-12-01", "numbers": numbers.joined(separator: ",")])
                #expect(log.last?.actor == "finance-bot" && log.last?.role == "finance" && log.last?.at == TestClock.now)

                try store.markPaid(number: "INV-2026-000001", on: try Self.day("2026-12-10"), today: try Self.day("2026-12-10"), audit: Self.actor)
                log = try entries(db)
                #expect(log.count == 2 && log.last?.action == .invoicePayment && log.last?.target == "INV-2026-000001")
                #expect(log.last?.details == ["paid_on": "2026-12-10"])

                let void = try store.void(number: "INV-2026-000002", reason: "wrong entity", on: try Self.day("2026-12-11"), audit: Self.actor)
                log = try entries(db)
                #expect(log.count == 3 && log.last?.action == .invoiceVoid && log.last?.target == "INV-2026-000002")
                #expect(log.last?.details["credit_note"] == void.number && log.last?.details["reason"] == "wrong entity")

                let note = try store.creditNote(
                    number: "INV-2026-000001", lines: [1: nil], reason: "goodwill", on: try Self.day("2026-12-12"), audit: Self.actor)
                log = try entries(db)
                #expect(log.count == 4 && log.last?.action == .invoiceCreditNote && log.last?.target == "INV-2026-000001")
                #expect(log.last?.details["credit_note"] == note.number && log.last?.details["lines"]?.hasPrefix("1=") == true)

                // Without an actor (tests, internal callers) nothing is recorded.
                try store.finalize(period: InvoiceTests.november, issuer: InvoiceTests.issuer, issueDate: try Self.day("2026-12-12"))
                #expect(try entries(db).count == 4)
                #expect(try entries(db).map(\.id) == [1, 2, 3, 4].map(Int64.init), "sorted by (at, id)")
            }
        }
    }

    @Test func aFailedOrRolledBackChangeWritesNoEntry() async throws {
        try await InvoiceTests().withMonth { pool, _ in
            try await pool.withConnection { db in
                let store = InvoiceStore(db)
                // Refused before anything is written.
                #expect(throws: InvoiceError.self) {
                    try store.finalize(period: InvoiceTests.november, issuer: InvoiceTests.issuer, issueDate: try Self.day("2026-11-30"), audit: Self.actor)
                }
                // A change that fails half-way: the grant's customer is unknown.
                #expect(throws: InvoiceError.self) {
                    try CreditStore(db).grant(
                        customer: "nobody", amount: Money(ExactDecimal(5), .usd), expiresOn: try Self.day("2027-01-31"), reason: "promo",
                        grantedOn: try Self.day("2026-11-01"), audit: Self.actor)
                }
                // The change and its entry were written, then the caller's transaction rolled back: neither stays.
                struct Abort: Error {}
                #expect(throws: Abort.self) {
                    try db.transaction {
                        try store.finalize(
                            period: InvoiceTests.november, issuer: InvoiceTests.issuer, issueDate: try Self.day("2026-12-01"), audit: Self.actor)
                        #expect(try db.scalar("SELECT count(*) FROM audit_log", as: Int.self) == 1)
                        throw Abort()
                    }
                }
                #expect(try entries(db).isEmpty)
                #expect(try store.invoices(period: InvoiceTests.november).allSatisfy { $0.number == nil }, "nothing finalized")
                try store.finalize(period: InvoiceTests.november, issuer: InvoiceTests.issuer, issueDate: try Self.day("2026-12-01"), audit: Self.actor)
                // Refused state changes: paying twice, voiding a paid invoice, crediting a line that does not exist.
                try store.markPaid(number: "INV-2026-000001", on: try Self.day("2026-12-02"), today: try Self.day("2026-12-02"), audit: Self.actor)
                #expect(throws: InvoiceError.self) {
                    try store.markPaid(number: "INV-2026-000001", on: try Self.day("2026-12-02"), today: try Self.day("2026-12-02"), audit: Self.actor)
                }
                #expect(throws: InvoiceError.self) { try store.void(number: "INV-2026-000001", reason: "oops", on: try Self.day("2026-12-03"), audit: Self.actor) }
                #expect(throws: InvoiceError.self) {
                    try store.creditNote(number: "INV-2026-000001", lines: [99: nil], reason: "oops", on: try Self.day("2026-12-03"), audit: Self.actor)
                }
                #expect(try entries(db).map(\.action) == [.invoiceFinalize, .invoicePayment])
            }
        }
    }

    @Test func ratesLoadQuoteAcceptanceCreditsAndCustomersEachWriteOneEntry() async throws {
        try await QuoteStoreTests().withData { pool, temp in
            try await pool.withConnection { db in
                let (cards, problems) = RateCardFile.parseAll(path: temp.path("rates"))
                #expect(problems.isEmpty)
                _ = try RateCardStore(db).load(cards, audit: Self.actor)
                var log = try entries(db)
                #expect(log.count == 1 && log.last?.action == .ratesLoad && log.last?.target == "list")
                #expect(log.last?.details["versions_unchanged"] == "1")

                let now = QuoteStoreTests.t("2026-11-14T09:30:00Z")
                let quote = try QuoteStore(db).save(try QuoteMaker(db).make(
                    .init(customer: "acme", volumes: [QuoteStoreTests.m], discountPercent: 10, asOf: QuoteStoreTests.nov14), now: now))
                let accept = QuoteAcceptance(db, ratesDirectory: temp.path("rates"))
                _ = try accept.accept(id: quote.id!, effective: QuoteStoreTests.t("2026-11-15T00:00:00Z"), now: now, audit: Self.actor)
                log = try entries(db)
                #expect(log.count == 2 && log.last?.action == .quoteAccept && log.last?.target == quote.id)
                #expect(log.last?.details["customer"] == "acme" && log.last?.details["card"] == "acme")
                #expect(log.last?.details["effective_from"] == "2026-11-15T00:00:00Z")
                // Accepting again is refused: no entry.
                #expect(throws: QuoteError.self) { try accept.accept(id: quote.id!, now: now, audit: Self.actor) }
                #expect(try entries(db).count == 2)

                try CreditStore(db).grant(
                    customer: "acme", amount: Money(ExactDecimal(500), .usd), expiresOn: try Self.day("2027-03-31"), reason: "promo",
                    grantedOn: try Self.day("2026-11-01"), audit: Self.actor)
                log = try entries(db)
                #expect(log.count == 3 && log.last?.action == .creditsGrant && log.last?.target == "acme")
                #expect(log.last?.details["amount"] == "500.00" && log.last?.details["grant"] == "G-1")

                let customers = CustomerStore(db)
                let fields = ["id": "globex", "name": "Globex", "billing_email": "ap@globex.example", "country": "US", "tax_treatment": "standard",
                              "currency": "USD", "card": "list"]
                _ = try customers.add(fields, audit: Self.actor)
                _ = try customers.add(fields, audit: Self.actor)  // unchanged: nothing to record
                var renamed = fields
                renamed["name"] = "Globex Corp"
                _ = try customers.add(renamed, audit: Self.actor)
                log = try entries(db)
                #expect(log.suffix(2).map(\.action) == [.customersCreate, .customersUpdate] && log.count == 5)
                #expect(log.suffix(2).allSatisfy { $0.target == "globex" })
            }
        }
    }

    @Test func theLogIsAppendOnly() async throws {
        try await TestDatabase.withSchema { pool, _ in
            try await pool.withConnection { db in
                try db.transaction { try AuditStore.record(Self.actor.entry(.keysCreate, target: "ops-key"), on: db) }
                for sql: SQL in [
                    "UPDATE audit_log SET actor = 'someone else'",
                    "DELETE FROM audit_log",
                    "TRUNCATE audit_log",
                ] {
                    #expect("\(sql)", performing: { try db.execute(sql) }, throws: { SQLState.objectNotInPrerequisiteState ~= $0 })
                }
                #expect(try AuditStore(db).list().map(\.actor) == ["finance-bot"])
            }
        }
    }

    @Test func entriesListOldestFirstSinceAnInstantAndLimited() async throws {
        try await TestDatabase.withSchema { pool, _ in
            try await pool.withConnection { db in
                func at(_ text: String) -> AuditActor {
                    AuditActor(name: "cli-user", role: AuditActor.commandLineRole, clock: .fixed(at: try! UTCTimestamp(parsing: text)))
                }
                // Written out of time order (a clock-travel run): read back by (at, id).
                for (time, target) in [("2027-01-02T00:00:00Z", "b"), ("2027-01-01T00:00:00Z", "a"), ("2027-01-02T00:00:00Z", "c")] {
                    try db.transaction {
                        try AuditStore.record(at(time).entry(.customersCreate, target: target, details: ["note": "x/y \"quoted\""]), on: db)
                    }
                }
                let store = AuditStore(db)
                #expect(try store.list().map(\.target) == ["a", "b", "c"])
                #expect(try store.list(since: try UTCTimestamp(parsing: "2027-01-02T00:00:00Z")).map(\.target) == ["b", "c"])
                #expect(try store.list(limit: 2).map(\.target) == ["a", "b"])
                #expect(try store.list().first?.details == ["note": "x/y \"quoted\""])
                #expect(try store.list().first?.role == "cli")
            }
        }
    }

    /// The server's grouped usage requests write their entries in one
    /// statement: each as given (details or none, text with quotes and
    /// backslashes), ids in the order given.
    @Test func severalEntriesInOneStatementKeepTheirOrderAndContent() async throws {
        try await TestDatabase.withSchema { pool, _ in
            try await pool.withConnection { db in
                let entries = [
                    Self.actor.entry(.usageIngest, target: "3 accepted, 0 duplicate, 1 rejected"),
                    AuditActor(name: "ingest \"b\\", role: "ingest", clock: .fixed(at: TestClock.now)).entry(.usageIngest, target: "z"),
                    Self.actor.entry(.customersCreate, target: "a", details: ["note": "x/y \"quoted\""]),
                ]
                try db.transaction { try AuditStore.record(entries, on: db) }
                try db.transaction { try AuditStore.record([], on: db) }
                let stored = try AuditStore(db).list()
                #expect(stored.map { AuditEntry(at: $0.at, actor: $0.actor, role: $0.role, action: $0.action, target: $0.target, details: $0.details) }
                        == entries)
                #expect(stored.compactMap(\.id) == stored.compactMap(\.id).sorted() && stored.count == 3)
            }
        }
    }
}
