import CLibPQ
import Foundation

/// The passwords in a connection string, found in its text rather than by
/// libpq's parser, so that a string libpq rejects can still be shown without
/// them. libpq's own complaints about such a string quote it whole
/// (`… in URI: "postgresql://u:S3cret@[bad"`) or in pieces (`missing "=" after
/// "secret"`), so its messages go through ``redact(_:)`` before anyone sees them.
///
/// Where the text is ambiguous, more is hidden rather than less: in a URI
/// everything between the first `:` after the scheme and the last `@` counts as
/// the password (a password may hold `/`, `?` or `@` that libpq would misread),
/// and in a conninfo string libpq cannot parse, everything after `password=`.
public struct ConnectionSecrets: Sendable {
    public static let mask = "***"

    public let connectionString: String
    /// The secret spans, as character offsets into `connectionString`, sorted and disjoint.
    let spans: [Range<Int>]
    /// libpq accepts the string.
    let parses: Bool

    /// Keywords whose values are secrets, in conninfo strings and URI query parameters.
    static let secretKeywords = ["password", "sslpassword"]

    public init(_ connectionString: String) {
        self.connectionString = connectionString
        let parses = Self.libpqParses(connectionString)
        self.parses = parses
        let characters = Array(connectionString)
        let found =
            Self.uriScheme(of: connectionString) != nil
            ? Self.uriSpans(characters) : Self.conninfoSpans(characters, parses: parses)
        self.spans = Self.merged(found)
    }

    /// The connection string with every secret replaced by `***`.
    public var redacted: String {
        let characters = Array(connectionString)
        var text = ""
        var position = 0
        for span in spans {
            text += String(characters[position..<span.lowerBound]) + Self.mask
            position = span.upperBound
        }
        return text + String(characters[position...])
    }

    /// The secrets' texts, as written and percent-decoded.
    var secrets: [String] {
        let characters = Array(connectionString)
        var texts: [String] = []
        for span in spans where !span.isEmpty {
            let text = String(characters[span])
            texts.append(text)
            if let decoded = text.removingPercentEncoding, decoded != text { texts.append(decoded) }
        }
        return texts
    }

    /// `message` (typically libpq's) without the secrets: the whole string
    /// becomes its redacted form; a quoted excerpt that shares a piece with a
    /// secret becomes `***` (libpq quotes what it misread, e.g. `invalid
    /// integer value "S3c" for connection option "port"` when a password holds
    /// a `/`); and any secret of four or more characters still left is masked
    /// wherever it appears.
    public func redact(_ message: String) -> String {
        guard !spans.isEmpty else { return message }
        var text = connectionString.isEmpty ? message : message.replacing(connectionString, with: redacted)
        text = maskQuotedExcerpts(text)
        for secret in secrets where secret.count >= 4 {
            text = text.replacing(secret, with: Self.mask)
        }
        return text
    }

    /// True when `value` (an option as libpq parsed it, an excerpt of the
    /// string) lies within a secret or shares four characters in a row with one.
    public func touchesSecret(_ value: String) -> Bool {
        guard !value.isEmpty else { return false }
        let value = Array(value)
        for secret in secrets.map(Array.init) {
            if secret.count < 4 || value.count < 4 {
                if secret.count >= value.count ? secret.contains(value) : value.contains(secret) { return true }
                continue
            }
            for start in 0...(secret.count - 4) where value.contains(secret[start..<(start + 4)]) { return true }
        }
        return false
    }

    /// libpq's own punctuation in its messages (`missing "=" after …`), never an excerpt.
    private static let libpqLiterals: Set<String> = ["=", ":", "/", "]", "?", "&", "@"]

    /// Replaces every `"excerpt"` that touches a secret by `"***"`.
    private func maskQuotedExcerpts(_ message: String) -> String {
        let parts = message.split(separator: "\"", omittingEmptySubsequences: false)
        guard parts.count >= 3 else { return message }
        var text = ""
        for (index, part) in parts.enumerated() {
            if index > 0 { text += "\"" }
            let quoted = index % 2 == 1 && index < parts.count - 1
            let excerpt = String(part)
            text += quoted && !Self.libpqLiterals.contains(excerpt) && touchesSecret(excerpt) ? Self.mask : excerpt
        }
        return text
    }

    // MARK: Finding the secrets

    private static func libpqParses(_ string: String) -> Bool {
        // A plain word is a database name to libpq, not a conninfo string.
        guard string.contains("=") || uriScheme(of: string) != nil else { return true }
        var errorMessage: UnsafeMutablePointer<CChar>?
        let options = PQconninfoParse(string, &errorMessage)
        if let errorMessage { PQfreemem(errorMessage) }
        guard let options else { return false }
        PQconninfoFree(options)
        return true
    }

    private static func uriScheme(of string: String) -> String? {
        ["postgresql://", "postgres://"].first { string.hasPrefix($0) }
    }

    /// `scheme://user:PASSWORD@host…?…&password=PASSWORD&…`
    private static func uriSpans(_ characters: [Character]) -> [Range<Int>] {
        let start = characters.starts(with: Array("postgresql://")) ? 13 : 11
        var spans: [Range<Int>] = []
        if let at = characters.lastIndex(of: "@"), at > start,
            let colon = characters[start..<at].firstIndex(of: ":")
        {
            spans.append((colon + 1)..<at)
        }
        for index in characters.indices where characters[index] == "?" || characters[index] == "&" {
            for keyword in secretKeywords {
                let key = Array(keyword + "=")
                guard characters[(index + 1)...].starts(with: key) else { continue }
                let valueStart = index + 1 + key.count
                let valueEnd = characters[valueStart...].firstIndex(of: "&") ?? characters.endIndex
                spans.append(valueStart..<valueEnd)
            }
        }
        return spans
    }

    /// `… password = 'PASS WORD' …` or `… password=PASSWORD …`; when libpq
    /// cannot parse the string, the rest of it after `password=`.
    private static func conninfoSpans(_ characters: [Character], parses: Bool) -> [Range<Int>] {
        var spans: [Range<Int>] = []
        for index in characters.indices where index == 0 || characters[index - 1].isWhitespace {
            for keyword in secretKeywords {
                guard characters[index...].starts(with: Array(keyword)) else { continue }
                var position = index + keyword.count
                while position < characters.count && characters[position].isWhitespace { position += 1 }
                guard position < characters.count, characters[position] == "=" else { continue }
                position += 1
                while position < characters.count && characters[position].isWhitespace { position += 1 }
                let valueStart = position
                if !parses {
                    spans.append(valueStart..<characters.count)
                    continue
                }
                if position < characters.count && characters[position] == "'" {
                    position += 1
                    while position < characters.count && characters[position] != "'" {
                        position += characters[position] == "\\" ? 2 : 1
                    }
                    spans.append(valueStart..<min(position + 1, characters.count))
                } else {
                    while position < characters.count && !characters[position].isWhitespace { position += 1 }
                    spans.append(valueStart..<position)
                }
            }
        }
        return spans
    }

    private static func merged(_ spans: [Range<Int>]) -> [Range<Int>] {
        var result: [Range<Int>] = []
        for span in spans.sorted(by: { $0.lowerBound < $1.lowerBound }) where !span.isEmpty {
            if let last = result.last, span.lowerBound <= last.upperBound {
                result[result.count - 1] = last.lowerBound..<max(last.upperBound, span.upperBound)
            } else {
                result.append(span)
            }
        }
        return result
    }
}
