import Foundation
import Testing
import TallyCore
import TallyDemo
import TallyTesting

/// The benchmark data's time shape: in time order at a rate (as the fleet
/// sends), consecutive files continuing where the last ended.
@Suite("Generated usage")
struct UsageGeneratorTests {
    static let november = try! BillingMonth(parsing: "2026-11")

    @Test func eventsAtARateAreInTimeOrderFromTheirStart() throws {
        let temp = try TemporaryFiles([:])
        defer { temp.remove() }
        var generator = UsageGenerator(month: Self.november, events: 1_000, customers: ["a", "b", "c"],
                                       models: ["m1", "m2"], sites: ["s1", "s2", "s3"])
        generator.duplicatePercent = 0
        generator.perSecond = 100
        let from = try UTCTimestamp(parsing: "2026-11-11T06:00:00Z")
        let tenSecondsOn = try UTCTimestamp(parsing: "2026-11-11T06:00:10Z")
        let lastSecond = try UTCTimestamp(parsing: "2026-11-11T06:00:09Z")
        generator.from = from
        let url = URL(fileURLWithPath: temp.path("e.ndjson"))
        #expect(try generator.write(ndjson: url) == 1_000)
        #expect(generator.end == tenSecondsOn)
        let times = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return try UTCTimestamp(parsing: object["timestamp"] as! String)
        }
        #expect(times.count == 1_000)
        #expect(times.first == from)
        #expect(times.last == lastSecond)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 })
    }
}
