import TallyCore

/// Display formatting of exact figures: rounded once, by name, for display only.
public enum Display {
    /// An amount in `currency`'s minor units; `grouped` adds thousands separators.
    public static func amount(_ value: ExactDecimal, _ currency: Currency, grouped: Bool) -> String {
        number(value, places: currency.minorUnits, grouped: grouped)
    }

    public static func number(_ value: ExactDecimal, places: Int, grouped: Bool) -> String {
        let text = value.rounded(places: places, .halfAwayFromZero).formatted(places: places)
        return grouped ? group(text) : text
    }

    /// A 0…1 fraction as a percentage with one decimal.
    public static func percent(_ fraction: ExactDecimal?) -> String {
        guard let fraction, let p = try? fraction * ExactDecimal(100) else { return "-" }
        return number(p, places: 1, grouped: false) + "%"
    }

    public static func group(_ text: String) -> String {
        let negative = text.hasPrefix("-")
        let body = negative ? String(text.dropFirst()) : text
        let parts = body.split(separator: ".", maxSplits: 1)
        var integer = String(parts[0])
        var groups: [String] = []
        while integer.count > 3 {
            groups.insert(String(integer.suffix(3)), at: 0)
            integer.removeLast(3)
        }
        groups.insert(integer, at: 0)
        let joined = groups.joined(separator: ",") + (parts.count > 1 ? "." + parts[1] : "")
        return negative ? "-" + joined : joined
    }
}
