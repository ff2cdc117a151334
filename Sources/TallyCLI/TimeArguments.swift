import ArgumentParser
import TallyCore

/// A command-line instant: `2026-11-01` (midnight UTC) or `2026-11-01T06:00:00Z`.
struct InstantArgument: ExpressibleByArgument {
    let timestamp: UTCTimestamp

    init?(argument: String) {
        guard let time = try? UTCTimestamp(parsingDayOrInstant: argument) else { return nil }
        timestamp = time
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

/// A day given as `YYYY-MM-DD`, or today (UTC) when the option was left out.
func dayOrToday(_ text: String?) throws -> CivilDate {
    try CivilDate.parsing(text, orTodayBy: .current)
}

/// `MODEL:input=2e9,cached=1e8,output=5e8`: token volumes per class.
struct ModelTokensArgument: ExpressibleByArgument {
    let model: String
    let tokens: TokenCounts

    init?(argument: String) {
        guard let colon = argument.lastIndex(of: ":") else { return nil }
        model = String(argument[..<colon])
        var counts = TokenCounts()
        for part in argument[argument.index(after: colon)...].split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, let value = try? ExactDecimal(parsing: pair[1], allowExponent: true),
                value.isInteger, !value.isNegative, let count = value.integerPart
            else { return nil }
            switch pair[0] {
            case "input": counts.input = Int64(count)
            case "cached", "cached_input": counts.cachedInput = Int64(count)
            case "output": counts.output = Int64(count)
            default: return nil
            }
        }
        guard !model.isEmpty else { return nil }
        tokens = counts
    }
}
