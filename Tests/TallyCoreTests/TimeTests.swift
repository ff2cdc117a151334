import Testing
import TallyCore
import TallyTesting

@Suite("Civil dates and UTC timestamps")
struct TimeTests {
    @Test func daysRoundTripAcrossCenturies() throws {
        var random = SeededRandom(seed: 8)
        for _ in 0..<5_000 {
            let days = Int.random(in: -700_000...2_900_000, using: &random)
            let date = CivilDate(daysSinceEpoch: days)
            #expect(date.daysSinceEpoch == days)
            #expect(try CivilDate(parsing: date.description) == date)
        }
        #expect(try CivilDate(parsing: "1970-01-01").daysSinceEpoch == 0)
        #expect(try CivilDate(parsing: "2000-03-01").daysSinceEpoch == 11_017)
    }

    @Test func leapYears() throws {
        #expect(throws: TimeError.self) { try CivilDate(parsing: "2026-02-29") }
        #expect(try CivilDate(parsing: "2028-02-29").adding(days: 1).description == "2028-03-01")
        #expect(throws: TimeError.self) { try CivilDate(parsing: "1900-02-29") }
        #expect(try CivilDate(parsing: "2000-02-29").day == 29)
        #expect(throws: TimeError.self) { try CivilDate(parsing: "2026-13-01") }
        #expect(throws: TimeError.self) { try CivilDate(parsing: "2026-1-01") }
    }

    @Test(arguments: [
        ("2026-11-01T10:00:00Z", "2026-11-01T10:00:00Z"),
        ("2026-11-01 10:00:00+00", "2026-11-01T10:00:00Z"),
        ("2026-11-01T12:00:00+02:00", "2026-11-01T10:00:00Z"),
        ("2026-11-01T00:30:00-0100", "2026-11-01T01:30:00Z"),
        ("2026-11-01 10:00:00.25+00", "2026-11-01T10:00:00.250000Z"),
        ("2026-12-31T23:59:59.999999Z", "2026-12-31T23:59:59.999999Z"),
        ("1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z"),
        ("2026-11-01T15:59:00+15:59", "2026-11-01T00:00:00Z"),
        ("2026-11-01T00:00:00-15:59", "2026-11-01T15:59:00Z"),
    ])
    func parsesTimestampsWithZones(text: String, expected: String) throws {
        #expect(try UTCTimestamp(parsing: text).description == expected)
    }

    @Test(arguments: ["2026-11-01T10:00:00", "2026-11-01", "2026-11-01T25:00:00Z", "2026-11-01T10:00:00.1234567Z", "x"])
    func refusesTimestampsWithoutAZoneOrOutOfRange(text: String) {
        #expect(throws: TimeError.self) { try UTCTimestamp(parsing: text) }
    }

    /// RFC 3339 allows offsets up to ±23:59; PostgreSQL, which stores the
    /// instant, refuses beyond ±15:59, so Tally refuses them when reading.
    @Test(arguments: ["2026-11-03T10:00:00+16:00", "2026-11-03T10:00:00-16:00", "2026-11-03T10:00:00+2359"])
    func refusesOffsetsPostgreSQLCannotStore(text: String) {
        #expect { try UTCTimestamp(parsing: text) } throws: { ($0 as? TimeError)?.message.contains("UTC offset beyond ±15:59") == true }
    }

    /// A zone can carry a valid timestamp across year 1 or 9999; its month
    /// must still compute (it used to trap in `BillingMonth.firstDay`).
    @Test func monthsJustOutsideYears1To9999DoNotTrap() throws {
        let early = try UTCTimestamp(parsing: "0001-01-01T00:00:00+01:00")
        let late = try UTCTimestamp(parsing: "9999-12-31T23:30:00-01:00")
        let december0 = BillingMonth(containing: early.date)
        #expect(december0.description == "0000-12")
        #expect(december0.firstDay.daysSinceEpoch == early.date.daysSinceEpoch - 30)
        #expect(december0.next.description == "0001-01")
        let january10000 = BillingMonth(containing: late.date)
        #expect(january10000.description == "10000-01")
        #expect(january10000.firstDay == late.date)
        let december9999 = try BillingMonth(parsing: "9999-12")
        #expect(december9999.end == late.date.startOfDay)
        #expect(december9999.lastDay.description == "9999-12-31")
    }

    @Test func hoursAndDays() throws {
        let t = try UTCTimestamp(parsing: "2026-11-01T10:42:17.5Z")
        #expect(t.startOfHour.description == "2026-11-01T10:00:00Z")
        #expect(t.date.description == "2026-11-01")
        let before = try UTCTimestamp(parsing: "1969-12-31T23:30:00Z")
        #expect(before.startOfHour.description == "1969-12-31T23:00:00Z")
        #expect(before.date.description == "1969-12-31")
    }
}
