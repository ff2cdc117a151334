import TallyCore

extension UsageIngester {
    /// An event that passed every check made while reading, with its names
    /// interned. (Whether its month is archived is checked by ``Load``, on the
    /// connection's side: that refusal changes with the database, chunk by chunk.)
    struct Accepted: Sendable {
        var event: EventLineParser.Event
        var customer: Int32
        var model: Int32
        var line: Int
        /// The input as read, for the rejects file should it conflict.
        var input: ArraySlice<UInt8>
    }

    /// An input line refused while reading.
    struct Refused: Sendable {
        var line: Int
        var reason: String
        var input: String
        /// The event's instant and its text, when the event was inside the
        /// accepted window: an archived month's refusal then takes precedence
        /// over `reason` (as it always did: it is checked before the customer,
        /// the model and `--strict`), and only ``Load`` knows the archived months.
        var instant: UTCTimestamp?
        var timestamp: ArraySlice<UInt8> = []
    }

    /// The events read and checked for one look-up and COPY, handed from the
    /// reader (``EventBatches``) to the loader (``Load``), possibly across
    /// threads: Sendable, its events' bytes being array slices (values).
    struct EventBatch: Sendable {
        /// At most ``UsageIngester/batchSize``, in line order.
        var events: [Accepted] = []
        var refused: [Refused] = []
        /// Events (non-blank lines) read from the input up to the batch's end.
        var lines = 0
        var bytesRead = 0
        /// Line numbers passed that are multiples of 250,000 (the `progress` callback's ticks).
        var progressLines: [Int] = []
        /// The unknown keys met so far (the summary's, as of the batch's end).
        var unknownKeys: [UnknownKey] = []
        var unlistedUnknownKeys = 0
        /// False on the last batch (the input is exhausted).
        var more = true
        /// The chunk (transaction) ends after this batch.
        var endsChunk = false
    }

    /// Reads the input into ``EventBatch``es: parsing and every check that
    /// needs no database state (the window, known customers and models,
    /// `--strict`, unknown keys). Owns the ``EventSource``, so it can run on a
    /// thread of its own while the connection's thread loads the batch
    /// before (see ``UsageIngester/backgroundParsingFromBytes``).
    ///
    /// It cuts the chunks exactly where reading and loading in turn on one
    /// thread did: a batch ends at ``UsageIngester/batchSize`` events, or at
    /// the first event at or past the chunk's end (``UsageIngester/chunkEvents``
    /// events after the previous chunk's end; refused lines just past it
    /// join the chunk, as before).
    struct EventBatches: Sendable {
        private var source: EventSource
        private let customers: ByteStringTable
        private let models: ByteStringTable
        private let window: ClosedRange<UTCTimestamp>
        private let strict: Bool
        private let batchSize: Int
        private let chunkEvents: Int
        private var lines = 0
        private var chunkEnd: Int
        private var finished = false
        private var unknownKeyTable = ByteStringTable()
        private var unknownKeys: [UnknownKey] = []
        private var unlistedUnknownKeys = 0

        init(source: EventSource, customers: ByteStringTable, models: ByteStringTable, window: ClosedRange<UTCTimestamp>,
             strict: Bool, batchSize: Int, chunkEvents: Int) {
            self.source = source
            self.customers = customers
            self.models = models
            self.window = window
            self.strict = strict
            self.batchSize = batchSize
            self.chunkEvents = max(1, chunkEvents)
            chunkEnd = self.chunkEvents
        }

        /// The next batch; nil after the last one (whose `more` is false).
        mutating func next() throws -> EventBatch? {
            guard !finished else { return nil }
            var batch = EventBatch()
            while batch.events.count < batchSize && lines < chunkEnd {
                guard let accepted = try nextAccepted(refusing: &batch) else {
                    batch.more = false
                    break
                }
                batch.events.append(accepted)
            }
            batch.endsChunk = !batch.more || lines >= chunkEnd
            if batch.endsChunk { chunkEnd = lines + chunkEvents }
            finished = !batch.more
            batch.lines = lines
            batch.bytesRead = source.bytesRead
            batch.unknownKeys = unknownKeys
            batch.unlistedUnknownKeys = unlistedUnknownKeys
            return batch
        }

        /// The next event that passes every check made here; refusals go to `batch`.
        private mutating func nextAccepted(refusing batch: inout EventBatch) throws -> Accepted? {
            while let (line, item) = try source.next() {
                lines += 1
                if line % 250_000 == 0 { batch.progressLines.append(line) }
                switch item {
                case .event(let event):
                    if !event.unknownKeys.isEmpty { noteUnknownKeys(event.unknownKeys, line: line) }
                    guard window.contains(event.occurredAt) else {
                        let reason = "\"timestamp\" '\(String(decoding: event.timestamp, as: UTF8.self))' is outside the accepted window "
                            + "\(window.lowerBound) – \(window.upperBound) (at most \(UsageEvent.maximumAgeDays) days old, "
                            + "at most \(UsageEvent.maximumLeadMinutes) minutes ahead of the clock)"
                        batch.refused.append(Refused(line: line, reason: reason, input: source.inputText()))
                        continue
                    }
                    let reason: String
                    if let customer = customers.index(of: event.customer) {
                        if let model = models.index(of: event.model) {
                            if strict, let key = event.unknownKeys.first {
                                reason = "unknown key \(RejectsFile.json(String(decoding: key, as: UTF8.self))) (--strict)"
                            } else {
                                return Accepted(event: event, customer: customer, model: model, line: line, input: source.inputBytes())
                            }
                        } else {
                            reason = "unknown model '\(String(decoding: event.model, as: UTF8.self))' (no rate card prices it)"
                        }
                    } else {
                        reason = "unknown customer '\(String(decoding: event.customer, as: UTF8.self))'"
                    }
                    batch.refused.append(
                        Refused(line: line, reason: reason, input: source.inputText(), instant: event.occurredAt, timestamp: event.timestamp))
                case .rejected(let reason, let input):
                    batch.refused.append(Refused(line: line, reason: reason, input: input))
                }
            }
            return nil
        }

        /// Counts each unknown key once per event; the first line it is on is kept.
        private mutating func noteUnknownKeys(_ keys: [ArraySlice<UInt8>], line: Int) {
            var counted: [Int32] = []
            for key in keys {
                guard unknownKeyTable.index(of: key) != nil || unknownKeyTable.names.count < UnknownKey.listedAtMost else {
                    unlistedUnknownKeys += 1  // memory stays bounded whatever the file holds
                    continue
                }
                let index = unknownKeyTable.intern(key)
                guard !counted.contains(index) else { continue }  // given twice in one event
                counted.append(index)
                if Int(index) == unknownKeys.count {
                    unknownKeys.append(UnknownKey(key: String(decoding: key, as: UTF8.self), firstLine: line, events: 0))
                }
                unknownKeys[Int(index)].events += 1
            }
        }
    }
}
