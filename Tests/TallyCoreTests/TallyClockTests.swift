import Testing
import TallyCore

@Suite("The clock (TALLY_NOW)")
struct TallyClockTests {
    static func t(_ s: String) -> UTCTimestamp { try! UTCTimestamp(parsing: s) }

    @Test func aSetClockStandsStillAtItsInstant() throws {
        let clock = try TallyClock(environmentValue: "2029-12-31T23:30:00Z")
        #expect(clock.now == Self.t("2029-12-31T23:30:00Z"))
        #expect(clock.now == clock.now)
        #expect(clock.today.description == "2029-12-31")
        #expect(clock.currentMonth.description == "2029-12")
        #expect(clock.previousMonth.description == "2029-11")
        // Zones are honoured: 00:30+01:00 on 1 Jan is still 31 Dec in UTC.
        #expect(try TallyClock(environmentValue: "2030-01-01T00:30:00+01:00").today.description == "2029-12-31")
    }

    @Test func noValueIsTheSystemClock() throws {
        #expect(try TallyClock(environmentValue: nil) == .system)
        #expect(try TallyClock(environmentValue: "") == .system)
        // The system clock is past the day this test was written.
        #expect(TallyClock.system.today >= (try CivilDate(parsing: "2026-12-02")))
    }

    @Test(arguments: ["2029-12-31", "tomorrow", "2029-12-31T23:30:00", "2029-13-01T00:00:00Z"])
    func anInvalidValueIsRefusedWithTheVariableNamed(_ value: String) {
        #expect { try TallyClock(environmentValue: value) } throws: { "\($0)".contains("TALLY_NOW='\(value)'") }
    }

    @Test(arguments: [
        ("2028-02-29T12:00:00Z", "2028-02-29T13:00:00Z"),
        ("2028-02-29T12:59:59.999999Z", "2028-02-29T13:00:00Z"),
        ("2029-12-31T23:30:00Z", "2030-01-01T00:00:00Z"),
    ])
    func theNextWholeHourIsStrictlyAfterNow(_ now: String, _ next: String) {
        #expect(TallyClock.fixed(at: Self.t(now)).nextWholeHour == Self.t(next))
    }

    @Test func previousMonthAcrossAYearAndALeapFebruary() {
        #expect(TallyClock.fixed(at: Self.t("2030-01-01T00:00:00Z")).previousMonth.description == "2029-12")
        #expect(TallyClock.fixed(at: Self.t("2028-03-01T00:00:00Z")).previousMonth.description == "2028-02")
        #expect(TallyClock.fixed(at: Self.t("2028-02-29T12:00:00Z")).previousMonth.description == "2028-01")
    }
}
