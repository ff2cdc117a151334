import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import TallyServer

@Suite("OpenAPI route")
struct OpenAPIRoutesTests {
    /// The repository's document, which scripts/embed-openapi.sh embeds.
    static let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("openapi/tally.openapi.json")

    @Test func servesTheRepositorysDocumentWithoutAKey() async throws {
        let document = try String(contentsOf: Self.file, encoding: .utf8)
        try await RoutesFixture.withServer { client, _, _, _ in
            let response = try await client.execute(uri: "/openapi.json", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            // A failure here: run scripts/embed-openapi.sh after editing openapi/tally.openapi.json.
            #expect(response.text == document)
        }
    }
}
