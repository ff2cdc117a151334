/// The three kinds of token priced separately (SPEC §4).
public enum TokenClass: String, Sendable, Hashable, CaseIterable, Comparable, Codable {
    /// Uncached input tokens.
    case input
    /// Input served from the prompt cache.
    case cachedInput = "cached_input"
    case output

    /// Position in `allCases` (input, cached input, output), without
    /// searching it: this orders every invoice line.
    private var rank: Int {
        switch self {
        case .input: 0
        case .cachedInput: 1
        case .output: 2
        }
    }

    public static func < (lhs: TokenClass, rhs: TokenClass) -> Bool {
        lhs.rank < rhs.rank
    }
}

