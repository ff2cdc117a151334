/// The three kinds of token priced separately (SPEC §4).
public enum TokenClass: String, Sendable, Hashable, CaseIterable, Comparable, Codable {
    /// Uncached input tokens.
    case input
    /// Input served from the prompt cache.
    case cachedInput = "cached_input"
    case output

    public static func < (lhs: TokenClass, rhs: TokenClass) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

