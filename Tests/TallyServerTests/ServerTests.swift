import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import TallyCore
import TallyDatabase
import TallyPostgres
import TallyPresentation
import TallyServer
import TallyTesting

/// Routing, keys and roles, problem details, usage ingest and invoices,
/// against a real PostgreSQL (Hummingbird's router test mode).
@Suite("Server")
struct ServerTests {
    static let ndjson: HTTPFields = [.contentType: "application/x-ndjson"]

    func headers(_ keys: ServerFixture.Keys, _ role: Role, _ extra: HTTPFields = [:]) -> HTTPFields {
        var fields = keys.bearer(role)
        fields.append(contentsOf: extra)
        return fields
    }

    @Test func healthAndReadinessNeedNoKey() async throws {
        try await ServerFixture.withServer { client, _, _ in
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            #expect(health.text == "{\"status\":\"ok\"}\n")
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .ok)
            #expect(ready.headers[HTTPField.Name("X-Request-Id")!] != nil)
        }
    }

    @Test func problemsFor401403And404() async throws {
        try await ServerFixture.withServer { client, keys, _ in
            let missing = try await client.execute(uri: "/v1/invoices", method: .get)
            #expect(missing.status == .unauthorized)
            #expect(missing.headers[.contentType] == "application/problem+json")
            #expect(missing.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            #expect(missing.object["code"] as? String == "auth.unauthorized")
            #expect(missing.object["status"] as? Int == 401)

            let wrong = try await client.execute(uri: "/v1/invoices", method: .get, headers: [.authorization: "Bearer tally_" + String(repeating: "0", count: 64)])
            #expect(wrong.status == .unauthorized)

            let forbidden = try await client.execute(uri: "/v1/invoices", method: .get, headers: keys.bearer(.ingest))
            #expect(forbidden.status == .forbidden)
            #expect(forbidden.object["code"] as? String == "auth.forbidden")

            let unknown = try await client.execute(uri: "/v1/nothing-here", method: .get, headers: keys.bearer(.admin))
            #expect(unknown.status == .notFound)
            #expect(unknown.headers[.contentType] == "application/problem+json")
            #expect((unknown.object["instance"] as? String)?.hasPrefix("urn:request:") == true)

            let metricsBySales = try await client.execute(uri: "/metrics", method: .get, headers: keys.bearer(.sales))
            #expect(metricsBySales.status == .forbidden)
            let metrics = try await client.execute(uri: "/metrics", method: .get, headers: keys.bearer(.ops))
            #expect(metrics.status == .ok)
            #expect(metrics.text.contains("tally_http_requests_total"))
            #expect(metrics.text.contains("status=\"403\""))
        }
    }

    @Test func aRevokedKeyIsRefusedOnTheNextRequest() async throws {
        try await ServerFixture.withServer { client, keys, pool in
            #expect(try await client.execute(uri: "/v1/invoices", method: .get, headers: keys.bearer(.finance)).status == .ok)
            try await pool.withConnection { db in try ApiKeyStore(db).revoke(name: "k-finance", audit: ServerFixture.actor) }
            let after = try await client.execute(uri: "/v1/invoices", method: .get, headers: keys.bearer(.finance))
            #expect(after.status == .unauthorized)
            let entries = try await pool.withConnection { db in try AuditStore(db).list().map { "\($0.action) \($0.target)" } }
            #expect(entries.contains("keys.revoke k-finance"))
        }
    }

    @Test func requestIDIsEchoedOrMade() async throws {
        try await ServerFixture.withServer { client, _, _ in
            let echoed = try await client.execute(uri: "/healthz", method: .get, headers: [HTTPField.Name("X-Request-Id")!: "abc-123"])
            #expect(echoed.headers[HTTPField.Name("X-Request-Id")!] == "abc-123")
            let insane = try await client.execute(uri: "/healthz", method: .get, headers: [HTTPField.Name("X-Request-Id")!: "bad id\u{7}"])
            let made = insane.headers[HTTPField.Name("X-Request-Id")!] ?? ""
            #expect(made != "bad id\u{7}" && made.count == 36)
        }
    }

    @Test func ingestNDJSONCountsRejectsByLineAndDedupes() async throws {
        try await ServerFixture.withServer { client, keys, pool in
            let body = [ServerFixture.event("e1"), "{not json", ServerFixture.event("e2", "nobody"), ServerFixture.event("e3")].joined(separator: "\n") + "\n"
            let first = try await client.execute(uri: "/v1/usage/events", method: .post, headers: headers(keys, .ingest, Self.ndjson), body: .text(body))
            #expect(first.status == .ok)
            #expect(first.object["accepted"] as? Int == 2)
            #expect(first.object["duplicate"] as? Int == 0)
            #expect(first.object["rejected"] as? Int == 2)
            let lines = (first.object["rejects"] as? [[String: Any]] ?? []).compactMap { $0["line"] as? Int }
            #expect(lines == [2, 3])
            let again = try await client.execute(uri: "/v1/usage/events", method: .post, headers: headers(keys, .admin, Self.ndjson), body: .text(body))
            #expect(again.object["accepted"] as? Int == 0)
            #expect(again.object["duplicate"] as? Int == 2)
            let stored = try await pool.withConnection { db in try db.scalar("SELECT count(*) FROM usage_events", as: Int64.self) }
            #expect(stored == 2)
            let audit = try await pool.withConnection { db in try AuditStore(db).list().filter { $0.action == .usageIngest } }
            #expect(audit.map(\.actor) == ["k-ingest", "k-admin"])
            let finance = try await client.execute(uri: "/v1/usage/events", method: .post, headers: headers(keys, .finance, Self.ndjson), body: .text(body))
            #expect(finance.status == .forbidden)
        }
    }

    /// Requests sent together are ingested together (group commit), yet each
    /// is answered with its own counts and its own line numbers.
    @Test func concurrentRequestsEachGetTheirOwnCounts() async throws {
        try await ServerFixture.withServer { client, keys, pool in
            let bodies = (0..<12).map { i in
                // Each: two new events, one event every request shares (one of
                // them stores it, the rest see a duplicate), a bad line at line 4.
                [ServerFixture.event("g\(i)-a"), ServerFixture.event("g\(i)-b"), ServerFixture.event("shared"), "{bad"].joined(separator: "\n")
            }
            let ingest = headers(keys, .ingest, Self.ndjson)
            let texts = try await withThrowingTaskGroup(of: String.self) { group in
                for body in bodies {
                    group.addTask {
                        let response = try await client.execute(uri: "/v1/usage/events", method: .post, headers: ingest, body: .text(body))
                        return String(buffer: response.body)
                    }
                }
                var all: [String] = []
                for try await text in group { all.append(text) }
                return all
            }
            let responses = texts.map { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] ?? [:] }
            #expect(responses.count == 12)
            for response in responses {
                #expect((response["accepted"] as? Int ?? 0) + (response["duplicate"] as? Int ?? 0) == 3)
                #expect(response["rejected"] as? Int == 1)
                #expect((response["rejects"] as? [[String: Any]] ?? []).compactMap { $0["line"] as? Int } == [4])
            }
            #expect(responses.map { $0["accepted"] as? Int ?? 0 }.reduce(0, +) == 25)
            #expect(responses.map { $0["duplicate"] as? Int ?? 0 }.reduce(0, +) == 11)
            let stored = try await pool.withConnection { db in try db.scalar("SELECT count(*) FROM usage_events", as: Int64.self) }
            #expect(stored == 25)
            let audit = try await pool.withConnection { db in try AuditStore(db).list().filter { $0.action == .usageIngest } }
            #expect(audit.count == 12)
        }
    }

    /// An event another ingest stores between a group's look-up and its
    /// copy fails the group's transaction (no savepoint per group); the
    /// group is run again and the event answered as a duplicate.
    @Test func aGroupRacingAnotherIngestForTheSameEventIsRunAgain() async throws {
        try await ServerFixture.withServer { client, keys, pool in
            let body = ServerFixture.event("raced") + "\n" + ServerFixture.event("other") + "\n"
            let ingest = headers(keys, .ingest, Self.ndjson)
            // Raced by ServerFixture.event("raced") stored but not committed.
            let response = try await TestDatabase.racing(
                pool, customer: "acme", id: "raced", at: "2026-11-02T10:00:00Z", site: "s1", input: 1000, output: 500
            ) {
                String(buffer: try await client.execute(uri: "/v1/usage/events", method: .post, headers: ingest, body: .text(body)).body)
            }
            #expect(try response.get() == "{\"accepted\":1,\"duplicate\":1,\"rejected\":0,\"rejects\":[]}\n")
            let stored = try await pool.withConnection { db in try db.scalar("SELECT count(*) FROM usage_events", as: Int64.self) }
            #expect(stored == 2)
        }
    }

    /// The ingest looks the keys of a group up in its own transaction: in
    /// one group, a revoked key gets 401 and a sales key 403, and neither
    /// stores an event or an audit entry; the valid keys' requests are not
    /// affected. A bad key is answered before a bad body (401 before 415).
    @Test func groupedIngestChecksEachRequestsKey() async throws {
        try await ServerFixture.withServer { client, keys, pool in
            let revoked = try await pool.withConnection { db in
                let secret = try ApiKeyStore(db).create(name: "k-old", role: .ingest, audit: ServerFixture.actor).secret
                try ApiKeyStore(db).revoke(name: "k-old", audit: ServerFixture.actor)
                return secret
            }
            var senders: [(String, HTTPFields)] = []
            for i in 0..<6 { senders.append(("ok\(i)", headers(keys, .ingest, Self.ndjson))) }
            senders.append(("admin", headers(keys, .admin, Self.ndjson)))
            senders.append(("revoked", [.authorization: "Bearer \(revoked)", .contentType: "application/x-ndjson"]))
            senders.append(("sales", headers(keys, .sales, Self.ndjson)))
            senders.append(("unknown", [.authorization: "Bearer tally_\(String(repeating: "0", count: 64))", .contentType: "application/x-ndjson"]))
            let statuses = try await withThrowingTaskGroup(of: (String, Int).self) { group in
                for (name, fields) in senders {
                    group.addTask {
                        let response = try await client.execute(
                            uri: "/v1/usage/events", method: .post, headers: fields, body: .text(ServerFixture.event("e-\(name)")))
                        return (name, Int(response.status.code))
                    }
                }
                var all: [String: Int] = [:]
                for try await (name, status) in group { all[name] = status }
                return all
            }
            #expect(statuses.filter { $0.value == 200 }.keys.sorted() == ["admin", "ok0", "ok1", "ok2", "ok3", "ok4", "ok5"])
            #expect(statuses["revoked"] == 401 && statuses["unknown"] == 401 && statuses["sales"] == 403)
            let stored = try await pool.withConnection { db in
                try db.execute("SELECT event_id FROM usage_events ORDER BY event_id").map { try $0.decode(0, as: String.self) }
            }
            #expect(stored == ["e-admin", "e-ok0", "e-ok1", "e-ok2", "e-ok3", "e-ok4", "e-ok5"])
            let audit = try await pool.withConnection { db in try AuditStore(db).list().filter { $0.action == .usageIngest }.map(\.actor) }
            #expect(audit.sorted() == ["k-admin"] + Array(repeating: "k-ingest", count: 6))
            // A bad key before a bad body: 401 before 415, 403 before 413.
            let wrongType = try await client.execute(
                uri: "/v1/usage/events", method: .post, headers: [.authorization: "Bearer \(revoked)", .contentType: "text/plain"], body: .text("x"))
            #expect(wrongType.status == .unauthorized)
            let badArray = try await client.execute(
                uri: "/v1/usage/events", method: .post, headers: headers(keys, .sales, [.contentType: "application/json"]), body: .text("[{"))
            #expect(badArray.status == .forbidden)
            let goodKeyBadType = try await client.execute(
                uri: "/v1/usage/events", method: .post, headers: headers(keys, .ingest, [.contentType: "text/plain"]), body: .text("x"))
            #expect(goodKeyBadType.status == .unsupportedMediaType)
        }
    }

    @Test func ingestJSONArrayNumbersElementsFromOne() async throws {
        try await ServerFixture.withServer { client, keys, _ in
            let huge = ServerFixture.event("a4").replacingOccurrences(of: "\"input_tokens\":1000", with: "\"input_tokens\":1\(String(repeating: "0", count: 40))")
            let pretty = ServerFixture.event("a1").replacingOccurrences(of: ",", with: ",\n    ").replacingOccurrences(of: "\":", with: "\": ")
            let body = "[\n  \(pretty),\n  {\"id\": \"a2\"},\n  7,\n  \(ServerFixture.event("a3", input: 123_456)),\n\(huge)\n]"
            let response = try await client.execute(
                uri: "/v1/usage/events", method: .post, headers: headers(keys, .ingest, [.contentType: "application/json"]), body: .text(body))
            #expect(response.status == .ok)
            #expect(response.object["accepted"] as? Int == 2)
            let lines = (response.object["rejects"] as? [[String: Any]] ?? []).compactMap { $0["line"] as? Int }
            #expect(lines == [2, 3, 5])

            let malformed = try await client.execute(
                uri: "/v1/usage/events", method: .post, headers: headers(keys, .ingest, [.contentType: "application/json"]),
                body: .text("[\(ServerFixture.event("x1")), {\"id\""))
            #expect(malformed.status == .badRequest)
            #expect(malformed.object["code"] as? String == "usage.malformed")
            let notArray = try await client.execute(
                uri: "/v1/usage/events", method: .post, headers: headers(keys, .ingest, [.contentType: "application/json"]), body: .text("{}"))
            #expect(notArray.status == .badRequest)
        }
    }

    @Test func ingestRefusesLargeBodiesAndOtherContentTypes() async throws {
        try await ServerFixture.withServer(maxBodyBytes: 1000) { client, keys, pool in
            let big = (0..<20).map { ServerFixture.event("b\($0)") }.joined(separator: "\n")
            let tooLarge = try await client.execute(uri: "/v1/usage/events", method: .post, headers: headers(keys, .ingest, Self.ndjson), body: .text(big))
            #expect(tooLarge.status == .contentTooLarge)
            #expect(tooLarge.object["code"] as? String == "http.too_large")
            let text = try await client.execute(
                uri: "/v1/usage/events", method: .post, headers: headers(keys, .ingest, [.contentType: "text/plain"]), body: .text(ServerFixture.event("t")))
            #expect(text.status == .unsupportedMediaType)
            let stored = try await pool.withConnection { db in try db.scalar("SELECT count(*) FROM usage_events", as: Int64.self) }
            #expect(stored == 0)
            let truncated = try await client.execute(
                uri: "/v1/usage/events", method: .post, headers: headers(keys, .ingest, Self.ndjson), body: .text(ServerFixture.event("t1") + "\n{\"id\":\"t2\",\"cust"))
            #expect(truncated.status == .ok)
            #expect(truncated.object["accepted"] as? Int == 1)
            #expect(truncated.object["rejected"] as? Int == 1)
        }
    }

    @Test func invoicesRunFinalizeListAndShowInEveryFormat() async throws {
        try await ServerFixture.withServer { client, keys, pool in
            let events = [ServerFixture.event("i1"), ServerFixture.event("i2", "berlin")].joined(separator: "\n")
            _ = try await client.execute(uri: "/v1/usage/events", method: .post, headers: headers(keys, .ingest, Self.ndjson), body: .text(events))
            let json: HTTPFields = [.contentType: "application/json"]
            let run = try await client.execute(
                uri: "/v1/invoice-runs", method: .post, headers: headers(keys, .finance, json), body: .text(#"{"period":"2026-11"}"#))
            #expect(run.status == .ok)
            #expect(run.object["drafts"] as? Int == 2)
            let draft = try await client.execute(uri: "/v1/customers/acme/invoices/2026-11", method: .get, headers: keys.bearer(.ops))
            #expect(draft.status == .ok)
            #expect(draft.headers[.contentType] == "application/json")

            let byOps = try await client.execute(
                uri: "/v1/invoices/finalize", method: .post, headers: headers(keys, .ops, json), body: .text(#"{"period":"2026-11"}"#))
            #expect(byOps.status == .forbidden)
            let finalized = try await client.execute(
                uri: "/v1/invoices/finalize", method: .post, headers: headers(keys, .finance, json), body: .text(#"{"period":"2026-11","date":"2026-12-01"}"#))
            #expect(finalized.status == .ok)
            let numbers = finalized.object["finalized"] as? [String] ?? []
            #expect(numbers.count == 2)
            let number = try #require(numbers.first)

            let expected = try await pool.withConnection { db in try InvoiceStore(db).invoice(named: number) }
            for (accept, format, type) in [
                ("application/json", InvoiceDocumentFormat.json, "application/json"), ("text/html", .html, "text/html; charset=utf-8"),
                ("application/xml", .cii, "application/xml; charset=utf-8"), ("text/csv", .csv, "text/csv; charset=utf-8"),
            ] {
                let shown = try await client.execute(uri: "/v1/invoices/\(number)", method: .get, headers: headers(keys, .finance, [.accept: accept]))
                #expect(shown.status == .ok)
                #expect(shown.headers[.contentType] == type)
                #expect(shown.text == (try format.render(expected)))
            }
            let notAcceptable = try await client.execute(uri: "/v1/invoices/\(number)", method: .get, headers: headers(keys, .finance, [.accept: "image/png"]))
            #expect(notAcceptable.status == .notAcceptable)
            let missing = try await client.execute(uri: "/v1/invoices/INV-2099-999999", method: .get, headers: keys.bearer(.finance))
            #expect(missing.status == .notFound)
            #expect(missing.object["code"] as? String == "invoice.not_found")

            let page1 = try await client.execute(uri: "/v1/invoices?period=2026-11&limit=1", method: .get, headers: keys.bearer(.ops))
            let cursor = try #require(page1.object["next_cursor"] as? String)
            #expect((page1.object["invoices"] as? [[String: Any]])?.first?["customer"] as? String == "acme")
            let page2 = try await client.execute(uri: "/v1/invoices?period=2026-11&limit=1&cursor=\(cursor)", method: .get, headers: keys.bearer(.ops))
            #expect((page2.object["invoices"] as? [[String: Any]])?.first?["customer"] as? String == "berlin")
            #expect(page2.object["next_cursor"] is NSNull)

            let audit = try await pool.withConnection { db in try AuditStore(db).list().map { "\($0.action) \($0.actor)" } }
            #expect(audit.contains("invoice.run k-finance"))
            #expect(audit.contains("invoice.finalize k-finance"))
        }
    }

    @Test func badInputIsAProblemWithTheCLICode() async throws {
        try await ServerFixture.withServer { client, keys, _ in
            let response = try await client.execute(
                uri: "/v1/invoice-runs", method: .post, headers: headers(keys, .admin, [.contentType: "application/json"]), body: .text(#"{"period":"2026-13"}"#))
            #expect(response.status == .badRequest)
            #expect(response.object["code"] as? String == "time.invalid")
            let noBody = try await client.execute(
                uri: "/v1/invoice-runs", method: .post, headers: headers(keys, .admin, [.contentType: "application/json"]), body: .text("{"))
            #expect(noBody.status == .badRequest)
            let typo = try await client.execute(
                uri: "/v1/invoices/finalize", method: .post, headers: headers(keys, .admin, [.contentType: "application/json"]),
                body: .text(#"{"period":"2026-11","dat":"2026-12-01"}"#))
            #expect(typo.status == .badRequest)
            #expect((typo.object["detail"] as? String)?.contains("\"dat\"") == true)
        }
    }
}
