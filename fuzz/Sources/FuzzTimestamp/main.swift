// libFuzzer target: timestamps, dates and months as users write them.
import TallyCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTimestamp(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    let text = String(decoding: bytes, as: UTF8.self)
    // An offset can carry year 1 into year 0 in UTC, accepted on purpose
    // (TimeTests.monthsJustOutsideYears1To9999DoNotTrap); printed, such an
    // instant does not read back, so the round trip is checked inside 1–9999.
    if let instant = try? UTCTimestamp(utf8: bytes[...]), (1...9999).contains(instant.date.year) {
        // What is printed reads back as the same instant.
        guard let again = try? UTCTimestamp(parsing: instant.description), again == instant else {
            fatalError("\(instant) does not read back")
        }
    }
    _ = try? UTCTimestamp(parsing: text)
    _ = try? CivilDate(parsing: text)
    _ = try? BillingMonth(parsing: text)
    return 0
}
