/// Tokens and events of one API key / project tag and model on an invoice
/// (the usage breakdown finance sends along with the invoice).
public struct TagUsage: Hashable, Sendable {
    /// Empty when the events carried no tag.
    public let tag: String
    public let model: String
    public let tokens: TokenCounts
    public let events: Int64

    public init(tag: String, model: String, tokens: TokenCounts, events: Int64) {
        self.tag = tag
        self.model = model
        self.tokens = tokens
        self.events = events
    }
}
