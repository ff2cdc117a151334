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

@Suite("Customer routes")
struct CustomerRoutesTests {
    static let globex = #"{"id":"globex","name":"Globex","billing_email":"ap@globex.example","country":"US","currency":"USD","card":"usd"}"#

    @Test func listShowCreateUpdate() async throws {
        try await RoutesFixture.withServer { client, keys, pool, _ in
            let list = try await client.execute(uri: "/v1/customers", method: .get, headers: keys.bearer(.sales))
            #expect(list.status == .ok)
            #expect(list.text.hasPrefix(#"[{"billing_email":"billing@acme.ai","card":"usd","country":"US","currency":"USD","id":"acme""#))

            let show = try await client.execute(uri: "/v1/customers/berlin", method: .get, headers: keys.bearer(.ops))
            #expect(show.status == .ok)
            #expect(show.object["tax_treatment"] as? String == "standard")
            #expect(show.object["vat_id"] as? String == "")

            let created = try await client.execute(uri: "/v1/customers", method: .post, headers: RoutesFixture.json(keys, .finance),
                                                   body: .text(Self.globex))
            #expect(created.status == .created)
            #expect(created.object["name"] as? String == "Globex")
            #expect(created.object["tax_treatment"] as? String == "standard")

            let again = try await client.execute(uri: "/v1/customers", method: .post, headers: RoutesFixture.json(keys, .finance),
                                                 body: .text(Self.globex))
            #expect(again.status == .conflict)
            #expect(again.object["code"] as? String == "database.duplicate")

            let renamed = Self.globex.replacingOccurrences(of: #""name":"Globex""#, with: #""name":"Globex Corp""#)
            let updated = try await client.execute(uri: "/v1/customers/globex", method: .put, headers: RoutesFixture.json(keys, .admin),
                                                   body: .text(renamed))
            #expect(updated.status == .ok)
            #expect(updated.object["name"] as? String == "Globex Corp")

            let audit = try await RoutesFixture.audit(pool)
            #expect(audit.contains("customers.create globex k-finance finance"))
            #expect(audit.contains("customers.update globex k-admin admin"))
        }
    }

    @Test func refusals() async throws {
        try await RoutesFixture.withServer { client, keys, pool, _ in
            let bySales = try await client.execute(uri: "/v1/customers", method: .post, headers: RoutesFixture.json(keys, .sales),
                                                   body: .text(Self.globex))
            #expect(bySales.status == .forbidden)
            let byIngest = try await client.execute(uri: "/v1/customers", method: .get, headers: keys.bearer(.ingest))
            #expect(byIngest.status == .forbidden)

            let unknownField = try await client.execute(
                uri: "/v1/customers", method: .post, headers: RoutesFixture.json(keys, .finance),
                body: .text(Self.globex.replacingOccurrences(of: "\"card\"", with: "\"cards\"")))
            #expect(unknownField.status == .badRequest)
            #expect(unknownField.object["code"] as? String == "input.invalid")
            #expect((unknownField.object["detail"] as? String)?.contains(#"unknown field(s) "cards""#) == true)

            let badCountry = try await client.execute(
                uri: "/v1/customers", method: .post, headers: RoutesFixture.json(keys, .finance),
                body: .text(Self.globex.replacingOccurrences(of: #""US""#, with: #""Narnia""#)))
            #expect(badCountry.status == .badRequest)
            #expect(badCountry.object["code"] as? String == "import.problems")

            let number = try await client.execute(
                uri: "/v1/customers", method: .post, headers: RoutesFixture.json(keys, .finance),
                body: .text(Self.globex.replacingOccurrences(of: #""Globex""#, with: "1e400")))
            #expect(number.status == .badRequest)

            let wrongType = try await client.execute(uri: "/v1/customers", method: .post, headers: keys.bearer(.finance), body: .text(Self.globex))
            #expect(wrongType.status == .unsupportedMediaType)

            let otherID = try await client.execute(uri: "/v1/customers/acme", method: .put, headers: RoutesFixture.json(keys, .finance),
                                                   body: .text(Self.globex))
            #expect(otherID.status == .badRequest)
            let putUnknown = try await client.execute(
                uri: "/v1/customers/nobody", method: .put, headers: RoutesFixture.json(keys, .finance),
                body: .text(Self.globex.replacingOccurrences(of: #""id":"globex""#, with: #""id":"nobody""#)))
            #expect(putUnknown.status == .notFound)
            let missing = try await client.execute(uri: "/v1/customers/nobody", method: .get, headers: keys.bearer(.finance))
            #expect(missing.status == .notFound)
            #expect(missing.object["code"] as? String == "customer.not_found")

            let stored = try await pool.withConnection { db in try CustomerStore(db).all().map(\.id) }
            #expect(stored == ["acme", "berlin"])
            #expect(try await RoutesFixture.audit(pool).filter { $0.hasPrefix("customers.") }.isEmpty)
        }
    }

    @Test func usageOfAMonth() async throws {
        try await RoutesFixture.withServer { client, keys, _, _ in
            try await RoutesFixture.issueNovember(client, keys)
            let byModel = try await client.execute(uri: "/v1/customers/acme/usage/2026-11", method: .get, headers: keys.bearer(.finance))
            #expect(byModel.status == .ok)
            #expect(byModel.text == #"[{"cached_input_tokens":0,"events":2,"input_tokens":2001000,"model":"m","output_tokens":1000},"#
                + #"{"cached_input_tokens":0,"events":2,"input_tokens":2001000,"model":"TOTAL","output_tokens":1000}]"# + "\n")
            let byDay = try await client.execute(uri: "/v1/customers/acme/usage/2026-11?by=day", method: .get, headers: keys.bearer(.ops))
            #expect(byDay.text.contains(#""day":"2026-11-02""#))

            let badBy = try await client.execute(uri: "/v1/customers/acme/usage/2026-11?by=week", method: .get, headers: keys.bearer(.ops))
            #expect(badBy.status == .badRequest)
            let badMonth = try await client.execute(uri: "/v1/customers/acme/usage/2026-13", method: .get, headers: keys.bearer(.ops))
            #expect(badMonth.status == .badRequest)
            #expect((badMonth.object["code"] as? String)?.hasPrefix("time.") == true)
            let unknown = try await client.execute(uri: "/v1/customers/nobody/usage/2026-11", method: .get, headers: keys.bearer(.ops))
            #expect(unknown.status == .notFound)
            let bySales = try await client.execute(uri: "/v1/customers/acme/usage/2026-11", method: .get, headers: keys.bearer(.sales))
            #expect(bySales.status == .forbidden)
        }
    }
}
