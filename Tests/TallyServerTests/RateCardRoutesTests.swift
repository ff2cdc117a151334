import HTTPTypes
import HummingbirdTesting
import Testing
import TallyCore
import TallyServer

@Suite("Rate card routes")
struct RateCardRoutesTests {
    @Test func listAndShowAtAnInstant() async throws {
        try await RoutesFixture.withServer { client, keys, _, _ in
            let list = try await client.execute(uri: "/v1/rate-cards", method: .get, headers: keys.bearer(.sales))
            #expect(list.status == .ok)
            #expect(list.text == #"[{"base":"","currency":"USD","description":"","first_effective_from":"2026-10-01T00:00:00Z","id":"usd","#
                + #""latest_effective_from":"2026-10-01T00:00:00Z","versions":1}]"# + "\n")

            let show = try await client.execute(uri: "/v1/rate-cards/usd?at=2026-11-01", method: .get, headers: keys.bearer(.finance))
            #expect(show.status == .ok)
            #expect(show.text == #"{"at":"2026-11-01T00:00:00Z","base":null,"card":"usd","currency":"USD","#
                + #""prices":[{"cached_input":"0.10","input":"1.00","model":"m","output":"2.00"}],"sources":["usd@2026-10-01T00:00:00Z"]}"# + "\n")

            // Before the first version: no prices, not an error.
            let before = try await client.execute(uri: "/v1/rate-cards/usd?at=2026-01-01T00:00:00Z", method: .get, headers: keys.bearer(.ops))
            #expect(before.status == .ok)
            #expect(before.text.contains(#""prices":[]"#))
        }
    }

    @Test func refusals() async throws {
        try await RoutesFixture.withServer { client, keys, _, _ in
            let unknown = try await client.execute(uri: "/v1/rate-cards/gold", method: .get, headers: keys.bearer(.sales))
            #expect(unknown.status == .notFound)
            #expect(unknown.object["code"] as? String == "rates.not_found")
            let badAt = try await client.execute(uri: "/v1/rate-cards/usd?at=yesterday", method: .get, headers: keys.bearer(.sales))
            #expect(badAt.status == .badRequest)
            #expect(badAt.object["code"] as? String == "time.invalid")
            let byIngest = try await client.execute(uri: "/v1/rate-cards", method: .get, headers: keys.bearer(.ingest))
            #expect(byIngest.status == .forbidden)
            let noKey = try await client.execute(uri: "/v1/rate-cards", method: .get)
            #expect(noKey.status == .unauthorized)
        }
    }
}
