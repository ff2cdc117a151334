import Testing
import TallyCore

/// Inputs coverage-guided fuzzing (fuzz/, `make fuzz`) found; each stays fixed.
@Suite("Fuzzing regressions")
struct FuzzRegressionTests {
    /// An offset can carry 0001-01-01 into year 0 in UTC (accepted on
    /// purpose: TimeTests.monthsJustOutsideYears1To9999DoNotTrap); fuzz/FuzzTimestamp
    /// checks that what is printed reads back only inside years 1–9999.
    @Test func theEdgesOfYears1To9999ReadBack() throws {
        for text in ["0001-01-01T00:00:00Z", "0001-01-01T00:30:00+00:30", "9999-12-31T23:59:59.999999Z"] {
            let instant = try UTCTimestamp(parsing: text)
            #expect(try UTCTimestamp(parsing: instant.description) == instant)
        }
    }
}
