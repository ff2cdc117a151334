/// An instant, as whole microseconds since 1970-01-01T00:00:00Z.
///
/// This is PostgreSQL's own `timestamptz` resolution, so values round-trip
/// exactly; and it is an integer, so no binary float stands between a usage
/// event and the hour it is billed in.
public struct UTCTimestamp: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    public static let microsecondsPerSecond: Int64 = 1_000_000
    public static let microsecondsPerHour: Int64 = 3_600_000_000
    public static let microsecondsPerDay: Int64 = 86_400_000_000

    public let microsecondsSinceEpoch: Int64

    public init(microsecondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
    }

    public init(date: CivilDate, hour: Int = 0, minute: Int = 0, second: Int = 0, microsecond: Int = 0) {
        let seconds = Int64(hour) * 3600 + Int64(minute) * 60 + Int64(second)
        self.init(
            microsecondsSinceEpoch: date.startOfDay.microsecondsSinceEpoch + seconds * Self.microsecondsPerSecond
                + Int64(microsecond))
    }

    /// Parses ISO 8601 / RFC 3339 and PostgreSQL's output: `2026-11-01T10:00:00Z`,
    /// `2026-11-01 10:00:00.25+00`, `2026-11-01T12:00:00+02:00`. A zone is required:
    /// a time without one is ambiguous, and billing is in UTC. The offset is at
    /// most ±15:59, PostgreSQL's limit.
    public init(parsing text: some StringProtocol) throws(TimeError) {
        try self.init(utf8: Array(text.utf8)[...])
    }

    /// Parses UTF-8 bytes, as ``init(parsing:)`` does, without a `String`.
    public init(utf8 slice: ArraySlice<UInt8>) throws(TimeError) {
        let b = slice.startIndex == 0 ? slice : ArraySlice(Array(slice))
        func bad() -> TimeError {
            TimeError("'\(String(decoding: slice, as: UTF8.self))' is not a timestamp with a zone (e.g. 2026-11-01T10:00:00Z)")
        }
        guard b.count >= 20, b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: " ") || b[10] == UInt8(ascii: "t"),
            b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
            let hour = CivilDate.digits(b[11..<13]), let minute = CivilDate.digits(b[14..<16]),
            let second = CivilDate.digits(b[17..<19]), hour < 24, minute < 60, second < 60
        else { throw bad() }
        let date: CivilDate
        guard let y = CivilDate.digits(b[0..<4]), b[4] == UInt8(ascii: "-"), let mo = CivilDate.digits(b[5..<7]),
            b[7] == UInt8(ascii: "-"), let d = CivilDate.digits(b[8..<10]), let parsed = try? CivilDate(year: y, month: mo, day: d)
        else { throw bad() }
        date = parsed

        var i = 19
        var micros = 0
        if b[i] == UInt8(ascii: ".") {
            i += 1
            var places = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                guard places < 6 else { throw TimeError("'\(String(decoding: slice, as: UTF8.self))' has more than microsecond precision") }
                micros = micros * 10 + Int(b[i] - 48)
                places += 1
                i += 1
            }
            guard places > 0 else { throw bad() }
            for _ in places..<6 { micros *= 10 }
        }
        guard i < b.count else { throw bad() }
        var offsetSeconds = 0
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            guard i + 1 == b.count else { throw bad() }
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
            let rest = Array(b[(i + 1)...])[...]
            let hh: Int?
            var mm: Int? = 0
            switch rest.count {
            case 2: hh = CivilDate.digits(rest[0..<2])
            case 4: hh = CivilDate.digits(rest[0..<2]); mm = CivilDate.digits(rest[2..<4])
            case 5 where rest[2] == UInt8(ascii: ":"): hh = CivilDate.digits(rest[0..<2]); mm = CivilDate.digits(rest[3..<5])
            default: hh = nil
            }
            guard let hh, let mm, mm < 60 else { throw bad() }
            // RFC 3339 allows up to 23:59, PostgreSQL (which stores the instant) up to 15:59.
            guard hh <= 15 else {
                throw TimeError("'\(String(decoding: slice, as: UTF8.self))' has a UTC offset beyond ±15:59")
            }
            offsetSeconds = sign * (hh * 3600 + mm * 60)
        } else {
            throw bad()
        }
        let local = UTCTimestamp(date: date, hour: hour, minute: minute, second: second, microsecond: micros)
        self.init(
            microsecondsSinceEpoch: local.microsecondsSinceEpoch - Int64(offsetSeconds) * Self.microsecondsPerSecond)
    }

    /// The UTC calendar day this instant falls on.
    public var date: CivilDate {
        CivilDate(daysSinceEpoch: Int(floorDiv(microsecondsSinceEpoch, Self.microsecondsPerDay)))
    }

    /// Whole UTC days since 1970-01-01 (rounded down, also before 1970).
    public var daysSinceEpoch: Int64 {
        floorDiv(microsecondsSinceEpoch, Self.microsecondsPerDay)
    }

    /// Whole hours since 1970-01-01T00:00Z (rounded down, also before 1970).
    public var hoursSinceEpoch: Int64 {
        floorDiv(microsecondsSinceEpoch, Self.microsecondsPerHour)
    }

    /// The start of the UTC hour containing this instant.
    public var startOfHour: UTCTimestamp {
        UTCTimestamp(
            microsecondsSinceEpoch: floorDiv(microsecondsSinceEpoch, Self.microsecondsPerHour) * Self.microsecondsPerHour)
    }

    public func adding(microseconds: Int64) -> UTCTimestamp {
        UTCTimestamp(microsecondsSinceEpoch: microsecondsSinceEpoch + microseconds)
    }

    public static func < (lhs: UTCTimestamp, rhs: UTCTimestamp) -> Bool {
        lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch
    }

    /// RFC 3339 in UTC: `2026-11-01T10:00:00Z`, with `.ffffff` only when needed.
    public var description: String {
        let dayStart = floorDiv(microsecondsSinceEpoch, Self.microsecondsPerDay) * Self.microsecondsPerDay
        let inDay = microsecondsSinceEpoch - dayStart
        let seconds = Int(inDay / Self.microsecondsPerSecond)
        let micros = Int(inDay % Self.microsecondsPerSecond)
        var text = date.description + "T" + CivilDate.pad(seconds / 3600, 2) + ":"
            + CivilDate.pad(seconds / 60 % 60, 2) + ":" + CivilDate.pad(seconds % 60, 2)
        if micros != 0 { text += "." + CivilDate.pad(micros, 6) }
        return text + "Z"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self = try UTCTimestamp(parsing: container.decode(String.self))
    }
}

@inline(__always)
func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}
