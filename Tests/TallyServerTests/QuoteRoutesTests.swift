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

@Suite("Quote routes")
struct QuoteRoutesTests {
    static let prospect = #"{"prospect":"Globex","volumes":["m:input=1e9,output=1e8"],"card":"usd","discount":"10%","as_of":"2026-12-01"}"#

    @Test func createShowListAccept() async throws {
        try await RoutesFixture.withServer { client, keys, pool, rates in
            let created = try await client.execute(uri: "/v1/quotes", method: .post, headers: RoutesFixture.json(keys, .sales),
                                                   body: .text(Self.prospect))
            #expect(created.status == .created, "\(created.text)")
            #expect(created.object["stored"] as? Bool == true)
            #expect(created.object["status"] as? String == "open")
            let quote = created.object["quote"] as? [String: Any] ?? [:]
            let id = quote["id"] as? String ?? ""
            #expect(id == "Q-\(TestClock.now.date.year)-000001")
            // 1e9 input at 0.90 and 1e8 output at 1.80 per 1M: amounts as strings.
            #expect((quote["total"] as? [String: Any])?["price"] as? String == "1080.00")

            let shown = try await client.execute(uri: "/v1/quotes/\(id)", method: .get, headers: keys.bearer(.ops))
            #expect(shown.status == .ok)
            #expect(shown.object["status"] as? String == "open")
            let list = try await client.execute(uri: "/v1/quotes?status=open", method: .get, headers: keys.bearer(.sales))
            #expect(list.status == .ok)
            #expect(list.text.contains(#""id" : "\#(id)""#))

            let accepted = try await client.execute(uri: "/v1/quotes/\(id)/accept", method: .post, headers: RoutesFixture.json(keys, .admin),
                                                    body: .text(#"{"customer":"acme","effective":"2027-02-01"}"#))
            #expect(accepted.status == .ok, "\(accepted.text)")
            #expect(accepted.object["customer"] as? String == "acme")
            #expect(accepted.object["effective_from"] as? String == "2027-02-01T00:00:00Z")
            let file = accepted.object["file"] as? String ?? ""
            #expect(file.hasPrefix(rates.path("rates")))
            #expect(FileManager.default.fileExists(atPath: file))
            let again = try await client.execute(uri: "/v1/quotes/\(id)/accept", method: .post, headers: RoutesFixture.json(keys, .admin),
                                                 body: .text(#"{"customer":"acme"}"#))
            #expect(again.status == .conflict)
            #expect(again.object["code"] as? String == "quote.refused")

            let audit = try await RoutesFixture.audit(pool)
            #expect(audit.contains("quote.create \(id) k-sales sales"))
            #expect(audit.contains { $0.hasPrefix("quote.accept \(id)") && $0.hasSuffix("k-admin admin") })
        }
    }

    @Test func refusals() async throws {
        try await RoutesFixture.withServer { client, keys, pool, _ in
            func post(_ role: Role, _ body: String) async throws -> TestResponse {
                try await client.execute(uri: "/v1/quotes", method: .post, headers: RoutesFixture.json(keys, role), body: .text(body))
            }
            #expect(try await post(.finance, Self.prospect).status == .forbidden)
            #expect(try await post(.ops, Self.prospect).status == .forbidden)

            // No cost history: the floor cannot be verified, so fail_below_floor refuses and stores nothing.
            let belowFloor = try await post(.sales, Self.prospect.replacingOccurrences(of: "}", with: #","fail_below_floor":true}"#))
            #expect(belowFloor.status == .conflict)
            #expect(belowFloor.object["code"] as? String == "quote.refused")
            let flags = (belowFloor.object["details"] as? [String: Any])?["flags"] as? [[String: Any]] ?? []
            #expect(!flags.isEmpty)
            let badVolume = try await post(.sales, #"{"prospect":"G","volumes":["m:input=lots"]}"#)
            #expect(badVolume.status == .badRequest)
            #expect(badVolume.object["code"] as? String == "quote.invalid_input")
            let unknownField = try await post(.sales, #"{"prospect":"G","volumes":["m:input=1"],"discout":"5%"}"#)
            #expect(unknownField.status == .badRequest)
            let numberVolume = try await post(.sales, #"{"prospect":"G","volumes":[1000]}"#)
            #expect(numberVolume.status == .badRequest)
            let hugeDays = try await post(.sales, #"{"prospect":"G","volumes":["m:input=1"],"valid_days":99999999999999999999999}"#)
            #expect(hugeDays.status == .badRequest)
            let noVolumes = try await post(.sales, #"{"prospect":"G"}"#)
            #expect(noVolumes.status == .badRequest)
            let notJSON = try await post(.sales, #"{"prospect":"G","volumes":["m:input=1"]"#)
            #expect(notJSON.status == .badRequest)

            let stored = try await pool.withConnection { db in try QuoteStore(db).list().count }
            #expect(stored == 0)
            #expect(try await RoutesFixture.audit(pool).filter { $0.hasPrefix("quote.") }.isEmpty)

            let missing = try await client.execute(uri: "/v1/quotes/Q-2026-999999", method: .get, headers: keys.bearer(.sales))
            #expect(missing.status == .notFound)
            #expect(missing.object["code"] as? String == "quote.not_found")
            let badStatus = try await client.execute(uri: "/v1/quotes?status=won", method: .get, headers: keys.bearer(.sales))
            #expect(badStatus.status == .badRequest)
        }
    }
}
