import TallyCore

/// The months whose raw events are archived, as the ingester sees them
/// (read at each chunk's start, like the closed months).
///
/// An event of an archived month is rejected: the month's invoices are
/// issued and past their grace period, and its ids can no longer be looked
/// up, so a re-send could not be told from a new event (late beyond
/// retention). So is an event whose dedupe window (its month and
/// ``UsageIngester/dedupeWindowMonths`` either side) reaches an archived
/// month, for the same reason: archiving requires those months to be issued
/// and past their grace period too (``UsageRetention``), so no open month
/// loses an event to this rule.
struct ArchivedUsageMonths {
    private struct Span {
        let range: Range<UTCTimestamp>
        let archived: BillingMonth
        /// The archived month itself (else a month whose window reaches it).
        let own: Bool
    }

    private var spans: [Span] = []
    /// No instant at or after this is refused: the usual event (newer than
    /// every archived month's neighbours) costs one comparison.
    private var horizon = UTCTimestamp(microsecondsSinceEpoch: .min)

    /// None archived.
    init() {}

    /// The archived `months` (rows of `archived_usage_months`, read with the
    /// chunk's other settings) whose spans meet `window` (the accepted window
    /// of event times; older months cannot be reached).
    init(months: [CivilDate], window: ClosedRange<UTCTimestamp>) {
        for first in months.sorted() {
            let archived = BillingMonth(containing: first)
            for first in UsageIngester.dedupeWindow(around: archived.firstDay) {
                let month = BillingMonth(containing: first)
                guard month.end > window.lowerBound && month.start <= window.upperBound else { continue }
                spans.append(Span(range: month.start..<month.end, archived: archived, own: month == archived))
            }
        }
        // An archived month is named for its own events before its neighbours' windows.
        spans.sort { ($0.own ? 0 : 1, $0.range.lowerBound) < ($1.own ? 0 : 1, $1.range.lowerBound) }
        horizon = spans.map(\.range.upperBound).max() ?? horizon
    }

    var isEmpty: Bool { spans.isEmpty }

    /// Why an event at `instant` (written `timestamp` in the input) is
    /// rejected, or nil when its month and window hold no archived month.
    func refusal<Text: Collection<UInt8>>(at instant: UTCTimestamp, timestamp: Text) -> String? {
        guard instant < horizon, let span = spans.first(where: { $0.range.contains(instant) }) else { return nil }
        let text = String(decoding: timestamp, as: UTF8.self)
        if span.own {
            return "\"timestamp\" '\(text)' falls in \(span.archived), whose raw events are archived: "
                + "too late (beyond retention), its ids can no longer be checked for duplicates"
        }
        return "\"timestamp\" '\(text)' is within \(UsageIngester.dedupeWindowMonths) months of \(span.archived), whose raw events are "
            + "archived: too late (beyond retention), its id can no longer be checked for duplicates there"
    }
}
