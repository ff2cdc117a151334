/// A calendar day (proleptic Gregorian), with no time zone: PostgreSQL's `date`.
///
/// FX rates are daily and invoices are monthly, so days and months are values
/// of their own rather than `Date`s at midnight somewhere.
public struct CivilDate: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Validates the day against the month (leap years included).
    public init(year: Int, month: Int, day: Int) throws(TimeError) {
        guard (1...9999).contains(year), (1...12).contains(month),
            (1...CivilDate.daysIn(year: year, month: month)).contains(day)
        else {
            throw TimeError("\(year)-\(month)-\(day) is not a calendar date")
        }
        self.year = year
        self.month = month
        self.day = day
    }

    /// A day already known to exist in the proleptic calendar (a month's
    /// first day), whatever its year: days computed by arithmetic may leave
    /// 1–9999, and must not trap.
    init(unvalidatedYear year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`.
    public init(parsing text: some StringProtocol) throws(TimeError) {
        let bytes = Array(text.utf8)
        let result = bytes.withUnsafeBytes { raw in Result { () throws(TimeError) in try CivilDate(utf8: raw) } }
        self = try result.get()
    }

    /// Parses `YYYY-MM-DD` from UTF-8 bytes.
    public init(utf8 bytes: UnsafeRawBufferPointer) throws(TimeError) {
        var text: String { String(decoding: bytes, as: UTF8.self) }  // for the message only
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            let y = Self.digits(bytes[0..<4]), let m = Self.digits(bytes[5..<7]), let d = Self.digits(bytes[8..<10])
        else {
            throw TimeError("'\(text)' is not a date (YYYY-MM-DD)")
        }
        try self.init(year: y, month: m, day: d)
    }

    /// Days since 1970-01-01 (negative before).
    public var daysSinceEpoch: Int {
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01.
    public init(daysSinceEpoch days: Int) {
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.year = yoe + era * 400 + (m <= 2 ? 1 : 0)
        self.month = m
        self.day = d
    }

    public func adding(days: Int) -> CivilDate {
        CivilDate(daysSinceEpoch: daysSinceEpoch + days)
    }

    /// Midnight UTC at the start of this day.
    public var startOfDay: UTCTimestamp {
        UTCTimestamp(microsecondsSinceEpoch: Int64(daysSinceEpoch) * UTCTimestamp.microsecondsPerDay)
    }

    public static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public static func < (lhs: CivilDate, rhs: CivilDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public var description: String {
        Self.pad(year, 4) + "-" + Self.pad(month, 2) + "-" + Self.pad(day, 2)
    }

    public static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    static func digits(_ bytes: Slice<UnsafeRawBufferPointer>) -> Int? {
        var value = 0
        for b in bytes {
            guard b >= 48 && b <= 57 else { return nil }
            value = value * 10 + Int(b - 48)
        }
        return value
    }

    static func digits(_ bytes: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for b in bytes {
            guard b >= 48 && b <= 57 else { return nil }
            value = value * 10 + Int(b - 48)
        }
        return value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self = try CivilDate(parsing: container.decode(String.self))
    }
}
