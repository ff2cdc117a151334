/// Expected monthly tokens of one model, per class: what a quote prices.
///
/// Counts are whole tokens read exactly from text (`2e9` is read as the
/// integer 2,000,000,000 digit by digit, never through a binary float).
public struct QuoteVolume: Hashable, Sendable, Codable {
    public let model: String
    public let input: Int64
    public let cachedInput: Int64
    public let output: Int64

    public init(model: String, tokens: TokenCounts) {
        self.model = model
        self.input = tokens.input
        self.cachedInput = tokens.cachedInput
        self.output = tokens.output
    }

    public var tokens: TokenCounts { TokenCounts(input: input, cachedInput: cachedInput, output: output) }

    /// Parses `MODEL:input=2e9,cached=1e8,output=5e8` (`cached_input` also
    /// accepted). Every class may be left out (zero), but not all of them.
    public init(parsing text: String) throws(QuoteError) {
        let (model, values) = try Self.assignments(text, what: "volume", value: "N")
        var counts = TokenCounts()
        for (tokenClass, value) in values {
            counts[tokenClass] = try Self.count(String(value), field: "\(model) \(tokenClass.rawValue)")
        }
        guard !counts.isZero else {
            throw QuoteError(.invalidInput, "volume '\(text)': no tokens (give at least one of input, cached, output)")
        }
        self.init(model: model, tokens: counts)
    }

    /// Splits `MODEL:input=X,cached=Y,output=Z` (volumes and prices are
    /// written alike): the model, and each class given once with its text.
    static func assignments(_ text: String, what: String, value: String) throws(QuoteError) -> (model: String, values: [(TokenClass, Substring)]) {
        guard let colon = text.lastIndex(of: ":"), colon != text.startIndex else {
            throw QuoteError(.invalidInput, "\(what) '\(text)': expected MODEL:input=\(value),cached=\(value),output=\(value)")
        }
        var values: [(TokenClass, Substring)] = []
        for part in text[text.index(after: colon)...].split(separator: ",", omittingEmptySubsequences: false) {
            let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2, let tokenClass = tokenClass(pair[0]) else {
                throw QuoteError(.invalidInput, "\(what) '\(text)': '\(part)' is not input=\(value), cached=\(value) or output=\(value)")
            }
            guard !values.contains(where: { $0.0 == tokenClass }) else {
                throw QuoteError(.invalidInput, "\(what) '\(text)': \(tokenClass.rawValue) given twice")
            }
            values.append((tokenClass, pair[1]))
        }
        return (String(text[..<colon]), values)
    }

    /// `input`, `cached` / `cached_input`, `output`.
    public static func tokenClass(_ name: Substring) -> TokenClass? {
        switch name {
        case "input": .input
        case "cached", "cached_input": .cachedInput
        case "output": .output
        default: nil
        }
    }

    /// Per model and class and month: 2,000 times the broker's whole monthly
    /// volume, and small enough that no sum over classes and models can
    /// overflow a 64-bit count.
    public static let maximumPerClass: Int64 = 1_000_000_000_000_000

    /// A whole, non-negative token count: `2000000000`, `2e9`, `2.5e9`; the
    /// error names `field` and the text.
    public static func count(_ text: String, field: String) throws(QuoteError) -> Int64 {
        do {
            return try count(text)
        } catch {
            throw QuoteError(.invalidInput, "\(field) = '\(text)': \(error.message)")
        }
    }

    /// The same, with the bare reason as the error (callers add where).
    public static func count(_ text: String) throws(QuoteError) -> Int64 {
        guard let value = try? ExactDecimal(parsing: text, allowExponent: true) else {
            throw QuoteError(.invalidInput, "not a number (write 2000000000 or 2e9)")
        }
        guard !value.isNegative else { throw QuoteError(.invalidInput, "a token count cannot be negative") }
        guard value.isInteger else { throw QuoteError(.invalidInput, "not a whole number of tokens") }
        guard let whole = value.integerPart, let count = Int64(exactly: whole), count <= maximumPerClass else {
            throw QuoteError(.invalidInput, "more than \(maximumPerClass) tokens a month (10^15): too many to quote")
        }
        return count
    }
}
