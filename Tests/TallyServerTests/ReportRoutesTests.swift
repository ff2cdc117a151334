import HTTPTypes
import HummingbirdTesting
import Testing
import TallyCore
import TallyServer

@Suite("Report routes")
struct ReportRoutesTests {
    @Test func costAndMargin() async throws {
        try await RoutesFixture.withServer { client, keys, _, _ in
            let cost = try await client.execute(uri: "/v1/reports/cost?from=2026-11-01&to=2026-11-02&by=model", method: .get, headers: keys.bearer(.ops))
            #expect(cost.status == .ok, "\(cost.text)")
            #expect(cost.object["from"] as? String == "2026-11-01T00:00:00Z")
            #expect(cost.object["by"] as? String == "model")
            let margin = try await client.execute(uri: "/v1/reports/margin?period=2026-11&by=model", method: .get, headers: keys.bearer(.admin))
            #expect(margin.status == .ok || margin.status == .conflict, "\(margin.text)")
        }
    }

    @Test func refusals() async throws {
        try await RoutesFixture.withServer { client, keys, _, _ in
            func get(_ path: String, _ role: Role = .ops) async throws -> TestResponse {
                try await client.execute(uri: path, method: .get, headers: keys.bearer(role))
            }
            #expect(try await get("/v1/reports/cost?from=2026-11-01&to=2026-11-02", .sales).status == .forbidden)
            #expect(try await get("/v1/reports/margin?period=2026-11", .ingest).status == .forbidden)
            let missing = try await get("/v1/reports/cost?from=2026-11-01")
            #expect(missing.status == .badRequest)
            let badTime = try await get("/v1/reports/cost?from=2026-11-01&to=soon")
            #expect(badTime.status == .badRequest)
            let tooLong = try await get("/v1/reports/cost?from=2000-01-01&to=2026-01-01")
            #expect(tooLong.status == .badRequest)
            #expect(tooLong.object["code"] as? String == "cost.invalid_period")
            let badBy = try await get("/v1/reports/cost?from=2026-11-01&to=2026-11-02&by=planet")
            #expect(badBy.status == .badRequest)
            let badTop = try await get("/v1/reports/margin?period=2026-11&top=0")
            #expect(badTop.status == .badRequest)
            let badPeriod = try await get("/v1/reports/margin?period=November")
            #expect(badPeriod.status == .badRequest)
        }
    }
}
