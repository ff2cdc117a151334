import Testing
import TallyDatabase
import TallyPresentation
@testable import TallyServer

/// The usage answer's direct writing (no rejects) must be what the encoder
/// writes for the same object.
@Suite("Usage answers")
struct UsageOutcomeTests {
    @Test func anAnswerWithoutRejectsIsWhatTheEncoderWrites() {
        var summary = UsageIngester.Summary()
        summary.accepted = 1_000
        summary.duplicates = 7
        let outcome = UsageRoutes.Outcome(summary: summary, rejects: [])
        let encoded = JSONResponse.text(.object([
            "accepted": .number(1_000), "duplicate": .number(7), "rejected": .number(0), "rejects": .list([]),
        ]))
        #expect(outcome.json() == encoded)
        #expect(encoded == "{\"accepted\":1000,\"duplicate\":7,\"rejected\":0,\"rejects\":[]}\n")
    }

    @Test func anAnswerWithRejectsListsThemByLine() {
        let outcome = UsageRoutes.Outcome(summary: UsageIngester.Summary(), rejects: [(3, "bad \"model\""), (1, "no id")])
        #expect(outcome.json() == "{\"accepted\":0,\"duplicate\":0,\"rejected\":2,\"rejects\":[{\"line\":1,\"reason\":\"no id\"},{\"line\":3,\"reason\":\"bad \\\"model\\\"\"}]}\n")
    }
}
