// libFuzzer target: one usage NDJSON line (EventLineParser), as `usage ingest` reads it.
@testable import TallyDatabase

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzUsageLine(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    guard let event = try? EventLineParser.parse(bytes[...]) else { return 0 }
    // An accepted event keeps the documented limits: a breach is a wrong acceptance.
    for tokens in [event.input, event.cached, event.output] where tokens < 0 || tokens > UsageEvent.maximumTokensPerClass {
        fatalError("accepted a count out of range: \(tokens)")
    }
    for text in [event.id, event.customer, event.model, event.site] where text.isEmpty || text.count > UsageEvent.maximumTextLength {
        fatalError("accepted an empty or overlong text field")
    }
    return 0
}
