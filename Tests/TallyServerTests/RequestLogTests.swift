import HTTPTypes
import HummingbirdTesting
import InMemoryLogging
import Logging
import Testing
import TallyServer
import TallyTesting

/// The request log: a request slower than `--slow-request-ms` is a warning,
/// so it shows at `--log-level warning`; others stay at info.
@Suite("Request log")
struct RequestLogTests {
    @Test func aSlowRequestIsAWarningWithItsPathStatusAndDuration() async throws {
        let handler = InMemoryLogHandler()
        try await ServerFixture.withServer(slowRequestThreshold: .zero, logHandler: handler) { client, _, _ in
            _ = try await client.execute(uri: "/healthz", method: .get)
        }
        let slow = handler.entries.filter { $0.message == "slow request" }
        #expect(slow.count == 1)
        #expect(slow.first?.level == .warning)
        #expect(slow.first?.metadata["path"] == "/healthz")
        #expect(slow.first?.metadata["status"]?.description == "200")
        #expect(slow.first?.metadata["duration_ms"]?.description.contains(".") == true)
    }

    @Test func aRequestUnderTheThresholdIsNotAWarning() async throws {
        let handler = InMemoryLogHandler()
        try await ServerFixture.withServer(slowRequestThreshold: .seconds(60), logHandler: handler) { client, _, _ in
            _ = try await client.execute(uri: "/healthz", method: .get)
        }
        #expect(handler.entries.allSatisfy { $0.message != "slow request" })
    }
}
