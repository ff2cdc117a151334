import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import TallyCore
import TallyDatabase
import TallyPostgres
import TallyServer
import TallyTesting

@Suite("Invoice lifecycle routes")
struct InvoiceLifecycleRoutesTests {
    @Test func creditNotePaymentAndVoid() async throws {
        try await RoutesFixture.withServer { client, keys, pool, _ in
            try await RoutesFixture.issueNovember(client, keys)
            let credit = try await client.execute(
                uri: "/v1/invoices/INV-2026-000001/credit-notes", method: .post, headers: RoutesFixture.json(keys, .finance),
                body: .text(#"{"lines":"1=0.01","reason":"goodwill","date":"2026-12-02"}"#))
            #expect(credit.status == .created)
            #expect(credit.object["number"] as? String == "CN-2026-000001")
            #expect(credit.object["net"] as? String == "0.01")
            #expect(credit.object["schema"] as? String == "tally.credit_note/1")

            let paid = try await client.execute(uri: "/v1/invoices/INV-2026-000001/payments", method: .post,
                                                headers: RoutesFixture.json(keys, .admin), body: .text(#"{"date":"2026-12-20"}"#))
            #expect(paid.status == .ok)
            #expect(paid.object["status"] as? String == "paid")
            #expect(paid.object["paid_on"] as? String == "2026-12-20")

            let voidPaid = try await client.execute(uri: "/v1/invoices/INV-2026-000001/void", method: .post,
                                                    headers: RoutesFixture.json(keys, .finance), body: .text(#"{"reason":"wrong"}"#))
            #expect(voidPaid.status == .conflict)
            #expect(voidPaid.object["code"] as? String == "invoice.state")

            let void = try await client.execute(uri: "/v1/invoices/INV-2026-000002/void", method: .post,
                                                headers: RoutesFixture.json(keys, .finance), body: .text(#"{"reason":"duplicate order"}"#))
            #expect(void.status == .created)
            #expect(void.object["invoice_number"] as? String == "INV-2026-000002")
            // No date: today by the server's clock.
            #expect(void.object["issue_date"] as? String == TestClock.now.date.description)

            let shown = try await client.execute(uri: "/v1/credit-notes/CN-2026-000001", method: .get, headers: keys.bearer(.ops))
            #expect(shown.status == .ok)
            #expect(shown.headers[.contentType] == "application/json")
            #expect(shown.text == credit.text)
            var html = keys.bearer(.finance)
            html[.accept] = "text/html"
            let page = try await client.execute(uri: "/v1/credit-notes/CN-2026-000001", method: .get, headers: html)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            var csv = keys.bearer(.finance)
            csv[.accept] = "text/csv"
            #expect(try await client.execute(uri: "/v1/credit-notes/CN-2026-000001", method: .get, headers: csv).status == .notAcceptable)

            let audit = try await RoutesFixture.audit(pool)
            #expect(audit.contains("invoice.credit_note INV-2026-000001 k-finance finance"))
            #expect(audit.contains("invoice.payment INV-2026-000001 k-admin admin"))
            #expect(audit.contains("invoice.void INV-2026-000002 k-finance finance"))
            #expect(!audit.contains { $0.hasPrefix("invoice.void INV-2026-000001") })
        }
    }

    @Test func refusals() async throws {
        try await RoutesFixture.withServer { client, keys, pool, _ in
            try await RoutesFixture.issueNovember(client, keys)
            func post(_ path: String, _ role: Role, _ body: String) async throws -> TestResponse {
                try await client.execute(uri: path, method: .post, headers: RoutesFixture.json(keys, role), body: .text(body))
            }
            #expect(try await post("/v1/invoices/INV-2026-000001/void", .sales, #"{"reason":"x"}"#).status == .forbidden)
            #expect(try await post("/v1/invoices/INV-2026-000001/void", .ops, #"{"reason":"x"}"#).status == .forbidden)

            let emptyReason = try await post("/v1/invoices/INV-2026-000001/void", .finance, #"{"reason":"  "}"#)
            #expect(emptyReason.status == .badRequest)
            #expect(emptyReason.object["code"] as? String == "invoice.invalid_input")
            let unknownField = try await post("/v1/invoices/INV-2026-000001/void", .finance, #"{"reason":"x","reson":"y"}"#)
            #expect(unknownField.status == .badRequest)
            let early = try await post("/v1/invoices/INV-2026-000001/void", .finance, #"{"reason":"x","date":"2026-11-30"}"#)
            #expect(early.status == .conflict)
            #expect(early.object["code"] as? String == "invoice.date")
            let badDate = try await post("/v1/invoices/INV-2026-000001/payments", .finance, #"{"date":"2026-02-30"}"#)
            #expect(badDate.status == .badRequest)
            let future = try await post("/v1/invoices/INV-2026-000001/payments", .finance, #"{"date":"2099-01-01"}"#)
            #expect(future.status == .conflict)
            let tooMuch = try await post("/v1/invoices/INV-2026-000001/credit-notes", .finance, #"{"lines":"1=99999999","reason":"x"}"#)
            #expect(tooMuch.status == .conflict)
            #expect(tooMuch.object["code"] as? String == "invoice.credit")
            let badLines = try await post("/v1/invoices/INV-2026-000001/credit-notes", .finance, #"{"lines":"=5","reason":"x"}"#)
            #expect(badLines.status == .conflict || badLines.status == .badRequest)
            let huge = try await post("/v1/invoices/INV-2026-000001/credit-notes", .finance,
                                      #"{"lines":"1=1000000000000000000000000000000000000000","reason":"x"}"#)
            #expect(huge.status.code >= 400 && huge.status.code < 500)
            let unknown = try await post("/v1/invoices/INV-2026-999999/void", .finance, #"{"reason":"x"}"#)
            #expect(unknown.status == .notFound)
            let missingNote = try await client.execute(uri: "/v1/credit-notes/CN-2026-000009", method: .get, headers: keys.bearer(.finance))
            #expect(missingNote.status == .notFound)
            // Nothing written by any refusal above: no credit note, no payment, no audit entry.
            let notes = try await pool.withConnection { db in try db.scalar("SELECT count(*) FROM credit_notes", as: Int64.self) }
            #expect(notes == 0)
            let audit = try await RoutesFixture.audit(pool)
            #expect(!audit.contains { $0.hasPrefix("invoice.void") || $0.hasPrefix("invoice.credit_note") || $0.hasPrefix("invoice.payment") })
            let invoice = try await client.execute(uri: "/v1/invoices/INV-2026-000001", method: .get, headers: keys.bearer(.finance))
            #expect(invoice.object["status"] as? String == "finalized")
        }
    }
}
