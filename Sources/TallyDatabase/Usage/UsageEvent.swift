import TallyCore

/// One usage event as read from an input line, validated.
public struct UsageEvent: Hashable, Sendable {
    public let id: String
    public let customer: String
    public let model: String
    public let occurredAt: UTCTimestamp
    public let tokens: TokenCounts
    public let site: String
    /// API key or project tag; "" when absent.
    public let tag: String

    /// More tokens than this in one event is refused as absurd (a request of
    /// 100 million tokens is a bug upstream, not usage).
    public static let maximumTokensPerClass: Int64 = 100_000_000
    public static let maximumTextLength = 200
}

extension UsageEvent {
    /// The event as the byte form the ingester streams (CSV input path).
    var bytes: EventLineParser.Event {
        var event = EventLineParser.Event()
        event.id = Array(id.utf8)[...]
        event.customer = Array(customer.utf8)[...]
        event.model = Array(model.utf8)[...]
        event.timestamp = Array(occurredAt.description.utf8)[...]
        event.site = Array(site.utf8)[...]
        event.tag = Array(tag.utf8)[...]
        event.input = tokens.input
        event.cached = tokens.cachedInput
        event.output = tokens.output
        return event
    }
}
