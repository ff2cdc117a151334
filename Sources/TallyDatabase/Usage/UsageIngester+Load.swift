import Foundation
import TallyCore
import TallyPostgres

extension UsageIngester {
    /// One ingest in progress: reading, batching, deduplication and the
    /// rollup (see ``UsageIngester``). Lives across the chunks' transactions.
    struct Load {
        /// (customer, event id): the idempotency key, hashed over its bytes in one call.
        private struct EventKey: Hashable {
            let customer: Int32
            let id: ByteStringTable.Key
        }

        /// What became of an event that was not new.
        private enum Outcome {
            case duplicate
            case conflict
        }

        /// A stored event's content, as the look-up read it.
        private struct Stored {
            var occurredAt: UTCTimestamp
            var model: [UInt8]
            var site: [UInt8]
            var tag: [UInt8]
            var input: Int64
            var cached: Int64
            var output: Int64

            /// Whether `event` carries this content (all that is stored and
            /// billed: time, model, site, tag, token counts).
            func matches(_ event: EventLineParser.Event) -> Bool {
                occurredAt == event.occurredAt && input == event.input && cached == event.cached && output == event.output
                    && model.elementsEqual(event.model) && site.elementsEqual(event.site) && tag.elementsEqual(event.tag)
            }
        }

        /// Duplicate if `event` matches any of the stored copies, else a conflict.
        private static func outcome(_ event: EventLineParser.Event, against stored: [Stored]) -> Outcome {
            stored.contains { $0.matches(event) } ? .duplicate : .conflict
        }

        static let conflictReason = "duplicate id with different content"

        private static let columns: SQL = """
            (month, customer_id, event_id, occurred_at, model, site_id, tag,
             input_tokens, cached_input_tokens, output_tokens, late, billing_month)
            """

        let db: PostgresConnection
        /// The batches, read on this thread (``inline``) or on a thread of
        /// their own (``background``): one of the two is set. (Optionals, so
        /// that reading inline mutates the reader in place.)
        private var inline: EventBatches?
        private let background: BackgroundProducer<Result<EventBatch, any Error>>?
        var rejects: RejectsFile
        var summary = Summary()
        var timer = PhaseTimer()
        var progress: ((Int) -> Void)?
        var onProgress: ((Progress) -> Void)?
        var totalBytes: Int?
        /// Whether the ingest runs inside its caller's transaction (the
        /// server's grouped requests): its copies then take no savepoint, and
        /// an event a concurrent ingest stored after the look-up fails the
        /// caller's transaction, which the caller runs again
        /// (``UsageIngester/isConcurrentDuplicate(_:)``). Known when the load
        /// begins: the chunks' own transactions start later.
        let inCallersTransaction: Bool
        private var rollup = HourlyRollup()
        var rollupLimit = 500_000
        /// When an event may have happened (``UsageEvent/window(now:)``).
        private let window: ClosedRange<UTCTimestamp>

        private var customers: ByteStringTable
        private var models: ByteStringTable
        private var sites = ByteStringTable()
        private var tags = ByteStringTable()
        /// (customer, month) pairs whose invoice is no longer a draft: usage
        /// arriving for them is late, billed on the next open month.
        private var finalized: Set<CustomerMonth> = []
        /// Months finalized as a whole (`closed_periods`): closed for every
        /// customer, including those that had no invoice in them (SPEC §4).
        private var closedMonths: Set<CivilDate> = []
        private struct CustomerMonth: Hashable {
            let customer: Int32
            let month: CivilDate
        }
        /// Months whose partition exists (read at each chunk's start, and
        /// ensured in this ingest): look-ups read only these.
        private var partitions: Set<CivilDate> = []
        /// Months whose partition is known to hold events (seen so by a
        /// look-up, or written by this ingest): a partition never empties
        /// while an ingest runs (only archive drops one, of a closed month).
        private var populated: Set<CivilDate> = []
        /// Batches of at least this many events are large (a file's), the
        /// others small (the server's grouped requests). A large batch
        /// probes only the window's partitions that hold events: an empty
        /// partition still costs a probe per key (200,000 keys against three
        /// partitions, two of them empty ahead of time: 2.0 s, against 0.9 s
        /// for the one holding events), and one statement finds which do; a
        /// small batch probes them all, cheaper than that statement's round
        /// trip. A small batch's look-up is a prepared statement, planned
        /// once per connection (planning was a large part of a group's
        /// cost); a large batch's is planned for its own size.
        static let largeBatchFrom = 1_000
        /// Archived months: their events, and those whose window reaches them, are rejected.
        private var archived = ArchivedUsageMonths()
        /// Whether the database is a Citus coordinator (the look-up takes its form).
        private let onCitus: Bool
        /// Rejects of the batch being read, written in line order once its
        /// conflicts are known.
        private var batchRejects: [(line: Int, reason: String, input: String)] = []
        // The last event's day and what follows from it (events come in runs of a day).
        private var lastDay = Int64.min
        private var lastMonth = CivilDate(daysSinceEpoch: 0)

        /// `background`: read and check the input on a thread of its own
        /// (``UsageIngester/backgroundParsingFromBytes`` says when).
        init(db: PostgresConnection, source: EventSource, rejects: RejectsFile, window: ClosedRange<UTCTimestamp>,
             strict: Bool, batchSize: Int, chunkEvents: Int, background: Bool) throws {
            self.db = db
            inCallersTransaction = db.isInTransaction
            self.window = window
            self.rejects = rejects
            // The known customers and models, and whether this is a Citus
            // coordinator, in one statement (a round trip per ingest counts:
            // the server runs one per group of requests).
            var customerNames: [String] = []
            var modelNames: [String] = []
            var onCitus = false
            for row in try db.execute(prepared:
                """
                SELECT 'c', id FROM customers UNION ALL SELECT DISTINCT 'm', model FROM rate_card_prices
                UNION ALL SELECT 'x', extname FROM pg_extension WHERE extname = 'citus' ORDER BY 1, 2
                """)
            {
                switch try row.decode(0, as: String.self) {
                case "c": customerNames.append(try row.decode(1, as: String.self))
                case "m": modelNames.append(try row.decode(1, as: String.self))
                default: onCitus = true
                }
            }
            customers = ByteStringTable(customerNames)
            models = ByteStringTable(modelNames)
            self.onCitus = onCitus
            let batches = EventBatches(
                source: source, customers: customers, models: models, window: window, strict: strict, batchSize: batchSize,
                chunkEvents: chunkEvents)
            if background {
                // One batch waiting besides the one loading and the one being
                // read: the reader stays a batch ahead, memory stays bounded.
                inline = nil
                self.background = BackgroundProducer(capacity: 1) { deliver in
                    var batches = batches
                    while true {
                        do {
                            guard let batch = try batches.next(), deliver(.success(batch)) else { return }
                        } catch {
                            _ = deliver(.failure(error))
                            return
                        }
                    }
                }
            } else {
                inline = batches
                self.background = nil
            }
        }

        /// Stops the background reader, if any, and waits for its thread to
        /// end: after the last batch (at once), or when the load failed
        /// (it returns at its next batch). Safe to call more than once.
        func stop() {
            background?.cancel()
        }

        /// The next batch: read now (inline), or the one the background
        /// reader has ready (waiting for it if need be); its read error, if any.
        private mutating func nextBatch() throws -> EventBatch? {
            if let background {
                return try background.next()?.get()
            }
            return try inline!.next()
        }

        /// Takes the closing lock (shared) and sets the planner for the
        /// look-ups, then reads which months are closed and which partitions
        /// exist, at the start of each chunk's transaction (under the lock):
        /// a month finalized between two chunks makes the next chunk's events
        /// of it late.
        ///
        /// The look-up's statement must be planned as index probes only
        /// (``lookUp(_:)`` says why): merge and hash joins, sequential and
        /// bitmap scans (a bitmap reads every entry of a month before the
        /// first row) and JIT are turned off for the rest of the transaction, in the
        /// lock's statement (one round trip, not two per look-up). The chunk's
        /// other statements (the COPY, the rollup upsert from arrays or a
        /// staging table, the audit entry) read no table that a sequential
        /// scan or a join would serve better, and the settings end with the
        /// transaction.
        mutating func startChunk() throws {
            // Separate from the reads below: they must see what committed
            // before the lock was granted (a new snapshot per statement).
            try db.execute(prepared:
                """
                SELECT pg_advisory_xact_lock_shared(hashtext(\(UsageIngester.closingLock))),
                       set_config('enable_mergejoin', 'off', true), set_config('enable_hashjoin', 'off', true),
                       set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true),
                       set_config('jit', 'off', true)
                """)
            let customers = self.customers
            var finalized = Set<CustomerMonth>()
            var closedMonths = Set<CivilDate>()
            var archivedMonths: [CivilDate] = []
            // One statement (a round trip per chunk counts: the server runs a
            // chunk per group of requests). Partitions are named
            // usage_events_YYYY_MM (ensure_usage_partition).
            for row in try db.execute(prepared:
                """
                SELECT 'i', customer_id, period FROM invoices WHERE status <> 'draft'
                UNION ALL SELECT 'c', NULL, month FROM closed_periods
                UNION ALL SELECT 'a', NULL, month FROM archived_usage_months
                UNION ALL SELECT 'p', NULL, to_date(substr(c.relname, 14), 'YYYY_MM')
                    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                    WHERE i.inhparent = 'usage_events'::regclass AND c.relname ~ '^usage_events_[0-9]{4}_[0-9]{2}$'
                """)
            {
                let month = try row.decode(2, as: CivilDate.self)
                switch try row.decode(0, as: String.self) {
                case "i":
                    if let customer = customers.index(of: Array(try row.decode(1, as: String.self).utf8)[...]) {
                        finalized.insert(CustomerMonth(customer: customer, month: month))
                    }
                case "c": closedMonths.insert(month)
                case "a": archivedMonths.append(month)
                default: partitions.insert(month)
                }
            }
            self.finalized = finalized
            self.closedMonths = closedMonths
            archived = ArchivedUsageMonths(months: archivedMonths, window: window)
        }

        /// Loads the batches of one chunk (``EventBatches`` cuts them) and
        /// writes their rollup; false once the input is exhausted.
        mutating func runChunk() throws -> Bool {
            let clock = ContinuousClock()
            var reading = Duration.zero
            while true {
                let asked = clock.now
                guard let batch = try nextBatch() else { return false }  // not reached: the last batch ends a chunk
                reading += clock.now - asked
                let more = try load(batch)
                guard batch.endsChunk else { continue }
                timer.lap("events")
                // Inline: the reading; in the background: the wait for it (near 0 when parsing keeps ahead).
                timer.record(background == nil ? "of which reading" : "of which waiting for reading", reading)
                try writeRollup()
                timer.lap("rollup")
                return more
            }
        }

        /// Sorts one batch into refusals (now with the archived months'),
        /// new events, duplicates and conflicts, and copies the new ones in;
        /// false if it was the last.
        private mutating func load(_ batch: EventBatch) throws -> Bool {
            for line in batch.progressLines { progress?(line) }
            summary.lines = batch.lines
            summary.unknownKeys = batch.unknownKeys
            summary.unlistedUnknownKeys = batch.unlistedUnknownKeys
            summary.rejected += batch.refused.count
            for refused in batch.refused {
                let reason = refused.instant.flatMap { archived.refusal(at: $0, timestamp: refused.timestamp) } ?? refused.reason
                batchRejects.append((refused.line, reason, refused.input))
            }
            var events = batch.events
            if !archived.isEmpty {
                events.removeAll { accepted in
                    guard let refusal = archived.refusal(at: accepted.event.occurredAt, timestamp: accepted.event.timestamp) else { return false }
                    summary.rejected += 1
                    batchRejects.append((accepted.line, refusal, String(decoding: accepted.input, as: UTF8.self)))
                    return true
                }
            }
            if !events.isEmpty { try load(events) }
            try writeBatchRejects()
            if rollup.count > rollupLimit { try writeRollup() }
            onProgress?(Progress(lines: summary.lines, accepted: summary.accepted, bytesRead: batch.bytesRead, totalBytes: totalBytes))
            return batch.more
        }

        /// Deduplicates `events` within themselves and against the events
        /// stored in their window (``UsageIngester/dedupeWindowMonths``), then
        /// copies the new ones in (under a savepoint, except in the caller's
        /// transaction).
        private mutating func load(_ events: [Accepted]) throws {
            // Within the batch: the first of each key stands for the others.
            var first: [EventKey: Int] = [:]
            first.reserveCapacity(events.count)
            var fresh: [Int] = []
            fresh.reserveCapacity(events.count)
            var repeats: [(index: Int, first: Int)] = []
            for i in events.indices {
                let key = EventKey(customer: events[i].customer, id: ByteStringTable.Key(bytes: events[i].event.id))
                if let j = first[key] {
                    repeats.append((i, j))
                } else {
                    first[key] = i
                    fresh.append(i)
                }
            }
            // Against the stored events. A concurrent ingest may commit one of
            // the keys between the look-up and the copy: the copy then fails on
            // the partition's key (after that ingest committed), and the look-up
            // runs again and sees it (in the caller's transaction, the caller
            // runs the whole ingest again).
            //
            // Partitions missing for these events are created first, before
            // this transaction reads usage_events: creating one needs the
            // table exclusively, so an ingest that had read it (holding a
            // shared lock to its commit) and then waited here for the
            // partitions lock would deadlock with the ingest creating one
            // (seen: two concurrent first requests of a month, one aborted
            // after deadlock_timeout, a 1 s stall). An event found stored
            // already had its partition, so creating them for every fresh
            // event creates no partition the events below would not.
            for i in fresh { try ensurePartition(for: events[i].event.occurredAt) }
            var attempt = 0
            while true {
                attempt += 1
                let found = try lookUp(fresh.map { events[$0] })
                var stored: [Int: [Stored]] = [:]
                var new: [Int] = []
                new.reserveCapacity(fresh.count)
                for (position, i) in fresh.enumerated() {
                    if let copies = found[position] {
                        stored[i] = copies
                    } else {
                        new.append(i)
                    }
                }
                var batchRollup = HourlyRollup()
                var inserted = 0
                do {
                    let db = self.db
                    if !new.isEmpty {
                        // In the caller's transaction, no savepoint (two round
                        // trips for every group of requests): a failed copy
                        // fails the whole transaction, which the caller runs again.
                        inserted = try Self.inSavepoint(unless: inCallersTransaction, db) {
                            try db.copyInBinary("COPY usage_events \(Self.columns) FROM STDIN WITH (FORMAT binary)") { writer in
                                for i in new { try encode(events[i], into: &writer, rollup: &batchRollup) }
                            }
                        }
                    }
                } catch let error where !inCallersTransaction && attempt < 3 && UsageIngester.isConcurrentDuplicate(error) {
                    continue
                }
                summary.accepted += inserted
                if inserted > 0 { for i in new { populated.insert(month(of: events[i].event.occurredAt)) } }
                if summary.acceptedLines != nil { summary.acceptedLines!.append(contentsOf: new.map { events[$0].line }) }
                summary.late += batchRollup.lateEvents
                rollup.merge(batchRollup)
                for (i, copies) in stored { count(Self.outcome(events[i].event, against: copies), events[i]) }
                for (i, j) in repeats {
                    // Against the stored copies if its first was stored before,
                    // else against the first (inserted now).
                    let outcome: Outcome = if let copies = stored[j] {
                        Self.outcome(events[i].event, against: copies)
                    } else {
                        Self.sameContent(events[i].event, events[j].event) ? .duplicate : .conflict
                    }
                    count(outcome, events[i])
                }
                return
            }
        }

        private mutating func count(_ outcome: Outcome, _ accepted: Accepted) {
            switch outcome {
            case .duplicate:
                summary.duplicates += 1
                if summary.duplicateLines != nil { summary.duplicateLines!.append(accepted.line) }
            case .conflict:
                summary.rejected += 1
                batchRejects.append((accepted.line, Self.conflictReason, String(decoding: accepted.input, as: UTF8.self)))
            }
        }

        /// `body` under a savepoint, or bare when `skipped` (in the caller's
        /// transaction, which the caller runs again on a failure).
        private static func inSavepoint<T>(unless skipped: Bool, _ db: PostgresConnection, _ body: () throws -> T) throws -> T {
            skipped ? try body() : try db.savepoint(body)
        }

        /// Whether two events with the same key carry the same content (all
        /// that is stored and billed: time, model, site, tag, token counts).
        private static func sameContent(_ a: EventLineParser.Event, _ b: EventLineParser.Event) -> Bool {
            a.occurredAt == b.occurredAt && a.input == b.input && a.cached == b.cached && a.output == b.output
                && a.model.elementsEqual(b.model) && a.site.elementsEqual(b.site) && a.tag.elementsEqual(b.tag)
        }

        /// The events of `batch` already stored for their customer within
        /// their window, by position in `batch` (more than one only if stored
        /// twice before this rule existed). One statement by primary-key look-ups: the keys travel
        /// as arrays and the months as a list, so only the window's
        /// partitions are read, and only through their indexes.
        private mutating func lookUp(_ batch: [Accepted]) throws -> [Int: [Stored]] {
            guard !batch.isEmpty else { return [:] }
            var windowMonths = Set<CivilDate>()
            var seenMonths = Set<CivilDate>()
            for accepted in batch {
                let month = month(of: accepted.event.occurredAt)
                if seenMonths.insert(month).inserted {
                    for m in UsageIngester.dedupeWindow(around: month) where partitions.contains(m) { windowMonths.insert(m) }
                }
            }
            if batch.count >= Self.largeBatchFrom {
                // Of the partitions not yet seen holding events, those that do
                // now (one index probe each, in this statement: what an
                // ingest committed before it is seen, as by the look-up).
                let unknown = windowMonths.subtracting(populated)
                if !unknown.isEmpty {
                    // LIMIT 1 in a LATERAL subquery: one index probe of the one
                    // partition of each month. (As EXISTS, a semi-join, it read
                    // a 50-million-event partition whole: 11 s.)
                    for row in try db.execute(
                        """
                        SELECT m FROM unnest(\(unknown.sorted())::date[]) m
                        CROSS JOIN LATERAL (SELECT 1 FROM usage_events e WHERE e.month = m LIMIT 1) e
                        """)
                    {
                        populated.insert(try row.decode(0, as: CivilDate.self))
                    }
                }
                windowMonths.formIntersection(populated)
            }
            guard !windowMonths.isEmpty else { return [:] }  // no partition in the window holds events: nothing stored
            let names = customers.names
            // The keys go in the primary key's order (event id, then customer,
            // bytewise as the C collation compares): the probes then walk each
            // index from left to right, on pages just read, instead of at
            // random (200,000 keys: 0.56 s against 0.88 s).
            let order = batch.indices.sorted { a, b in
                let byID = Self.compareBytes(batch[a].event.id, batch[b].event.id)
                return byID != 0 ? byID < 0 : Self.compareBytes(names[Int(batch[a].customer)], names[Int(batch[b].customer)]) < 0
            }
            // Only index probes stay cheap as a month grows: with the arrays'
            // true size the planner prefers to sort or hash the whole window,
            // and with statistics of a partition this very ingest is filling
            // (empty when last analysed) it reads the partition once per key,
            // or puts it on the outer side. So: the keys drive a LATERAL
            // subquery kept apart by OFFSET 0 (one probe per key, in that
            // order), and the chunk's transaction has no merge or hash join,
            // no sequential scan and no JIT (compiling costs more than the
            // probes; set by ``startChunk()``).
            let customerKeys = TextArrayParameter(order.map { names[Int(batch[$0].customer)] })
            let idKeys = TextArrayParameter(order.map { batch[$0].event.id })
            let rows: QueryResult
            if onCitus {
                // Citus refuses a LATERAL subquery with OFFSET over a function
                // (a merge step on recurring tuples); a CTE is its documented
                // way to join client keys to a distributed table: sent to the
                // workers as an intermediate result, joined on customer_id there.
                rows = try db.execute(
                    """
                    WITH k AS MATERIALIZED (
                        SELECT * FROM unnest(\(customerKeys)::text[], \(idKeys)::text[]) WITH ORDINALITY AS k(customer_id, event_id, i))
                    SELECT k.i, e.month, e.occurred_at, e.model, e.site_id, e.tag, e.input_tokens, e.cached_input_tokens, e.output_tokens
                    FROM k JOIN usage_events e ON e.customer_id = k.customer_id AND e.event_id = k.event_id
                    WHERE e.month = ANY(\(windowMonths.sorted()))
                    """)
            } else {
                let lookUp: SQL = """
                    SELECT k.i, e.month, e.occurred_at, e.model, e.site_id, e.tag, e.input_tokens, e.cached_input_tokens, e.output_tokens
                    FROM unnest(\(customerKeys)::text[], \(idKeys)::text[]) WITH ORDINALITY AS k(customer_id, event_id, i)
                    CROSS JOIN LATERAL (
                        SELECT e.month, e.occurred_at, e.model, e.site_id, e.tag, e.input_tokens, e.cached_input_tokens, e.output_tokens
                        FROM usage_events e
                        WHERE e.customer_id = k.customer_id AND e.event_id = k.event_id AND e.month = ANY(\(windowMonths.sorted()))
                        OFFSET 0) e
                    """
                rows = try db.execute(batch.count < Self.largeBatchFrom ? lookUp.prepared() : lookUp)  // see largeBatchFrom
            }
            var found: [Int: [Stored]] = [:]
            for row in rows {
                let position = order[try row.decode(0, as: Int.self) - 1]
                let event = batch[position].event
                // The statement reads the whole batch's window; each event only its own.
                let ownMonth = BillingMonth(containing: CivilDate(daysSinceEpoch: Int(event.occurredAt.daysSinceEpoch))).firstDay
                guard UsageIngester.dedupeWindow(around: ownMonth).contains(try row.decode(1, as: CivilDate.self)) else { continue }
                found[position, default: []].append(
                    Stored(occurredAt: try row.decode(2), model: Array(try row.decode(3, as: String.self).utf8),
                           site: Array(try row.decode(4, as: String.self).utf8), tag: Array(try row.decode(5, as: String.self).utf8),
                           input: Int64(try row.decode(6, as: Int.self)), cached: Int64(try row.decode(7, as: Int.self)),
                           output: Int64(try row.decode(8, as: Int.self))))
            }
            return found
        }

        /// Bytewise order of two byte strings (memcmp, then length): negative,
        /// zero or positive.
        private static func compareBytes(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Int {
            a.withUnsafeBufferPointer { x in
                b.withUnsafeBufferPointer { y in
                    let common = min(x.count, y.count)
                    let order = common == 0 ? 0 : Int(memcmp(x.baseAddress!, y.baseAddress!, common))
                    return order != 0 ? order : x.count - y.count
                }
            }
        }

        /// Adds the summed groups to `usage_hourly` (staged by COPY, then one
        /// upsert). In key order: concurrent ingests (the server takes many
        /// batches at once) then lock the rows they share in the same order,
        /// so one waits for the other instead of both deadlocking.
        private mutating func writeRollup() throws {
            guard rollup.count > 0 else { return }
            if rollup.count <= boundRollupLimit { return try writeRollupBound() }
            try db.execute("CREATE TEMP TABLE IF NOT EXISTS stage_hourly (LIKE usage_hourly INCLUDING DEFAULTS) ON COMMIT DROP")
            try db.execute("TRUNCATE stage_hourly")
            let rollup = self.rollup
            let names = (customers: customers.names, models: models.names, sites: sites.names, tags: tags.names)
            try db.copyIn(
                """
                COPY stage_hourly (customer_id, hour, model, site_id, tag, billing_month,
                                   input_tokens, cached_input_tokens, output_tokens, events) FROM STDIN
                """
            ) { writer in
                for (key, sums) in rollup.groups {
                    try writer.field(utf8: names.customers[Int(key.customer)])
                    try writer.field(UTCTimestamp(microsecondsSinceEpoch: key.hour * UTCTimestamp.microsecondsPerHour))
                    try writer.field(utf8: names.models[Int(key.model)])
                    try writer.field(utf8: names.sites[Int(key.site)])
                    try writer.field(utf8: names.tags[Int(key.tag)])
                    try writer.field(key.billingMonth)
                    writer.field(Int(sums.input))
                    writer.field(Int(sums.cachedInput))
                    writer.field(Int(sums.output))
                    writer.field(Int(sums.events))
                    try writer.endRow()
                }
            }
            try db.execute(
                """
                INSERT INTO usage_hourly AS h (customer_id, hour, model, site_id, tag, billing_month,
                                               input_tokens, cached_input_tokens, output_tokens, events)
                SELECT customer_id, hour, model, site_id, tag, billing_month, input_tokens, cached_input_tokens, output_tokens, events
                FROM stage_hourly
                ORDER BY customer_id, hour, model, site_id, tag, billing_month
                \(Self.addToRollup)
                """)
            self.rollup.removeAll()
        }

        /// ``UsageIngester/boundRollupLimit``.
        var boundRollupLimit = 20_000

        /// What both rollup writes end with: sums added to the rows that exist.
        private static let addToRollup: SQL = """
            ON CONFLICT (customer_id, hour, model, site_id, tag, billing_month) DO UPDATE SET
                input_tokens = h.input_tokens + excluded.input_tokens,
                cached_input_tokens = h.cached_input_tokens + excluded.cached_input_tokens,
                output_tokens = h.output_tokens + excluded.output_tokens,
                events = h.events + excluded.events
            """

        /// The same upsert with the groups as ten bound arrays: one statement
        /// and no temporary table. A small ingest (the server's grouped
        /// requests) otherwise pays a staging table's creation, which writes
        /// the system catalogs, and two more round trips, per transaction.
        private mutating func writeRollupBound() throws {
            let groups = Array(rollup.groups)
            let customerNames = customers.names
            let modelNames = models.names
            let siteNames = sites.names
            let tagNames = tags.names
            let customerColumn = TextArrayParameter(groups.map { customerNames[Int($0.key.customer)] })
            let hourColumn = groups.map { UTCTimestamp(microsecondsSinceEpoch: $0.key.hour * UTCTimestamp.microsecondsPerHour) }
            let modelColumn = TextArrayParameter(groups.map { modelNames[Int($0.key.model)] })
            let siteColumn = TextArrayParameter(groups.map { siteNames[Int($0.key.site)] })
            let tagColumn = TextArrayParameter(groups.map { tagNames[Int($0.key.tag)] })
            let monthColumn = groups.map(\.key.billingMonth)
            let inputColumn = groups.map { Int($0.value.input) }
            let cachedColumn = groups.map { Int($0.value.cachedInput) }
            let outputColumn = groups.map { Int($0.value.output) }
            let eventsColumn = groups.map { Int($0.value.events) }
            // In the COPY path's key order (ORDER BY, the database's
            // collation): concurrent ingests lock shared rows in one order.
            // Prepared: the server runs it once per group of requests.
            try db.execute(prepared:
                """
                INSERT INTO usage_hourly AS h (customer_id, hour, model, site_id, tag, billing_month,
                                               input_tokens, cached_input_tokens, output_tokens, events)
                SELECT * FROM unnest(\(customerColumn)::text[], \(hourColumn)::timestamptz[], \(modelColumn)::text[],
                                     \(siteColumn)::text[], \(tagColumn)::text[], \(monthColumn)::date[], \(inputColumn)::bigint[],
                                     \(cachedColumn)::bigint[], \(outputColumn)::bigint[], \(eventsColumn)::bigint[])
                    AS g (customer_id, hour, model, site_id, tag, billing_month, input_tokens, cached_input_tokens, output_tokens, events)
                ORDER BY customer_id, hour, model, site_id, tag, billing_month
                \(Self.addToRollup)
                """)
            rollup.removeAll()
        }

        /// One event as a COPY row, and into the batch's rollup.
        private mutating func encode(_ accepted: Accepted, into writer: inout CopyWriter, rollup: inout HourlyRollup) throws {
            let event = accepted.event
            let month = month(of: event.occurredAt)
            let billing = billingMonth(customer: accepted.customer, month: month)
            let late = billing != month
            // Binary COPY: the server stores these values without parsing
            // them (the instant is the parsed one the rollup uses too).
            writer.binaryRow(fields: 12)
            writer.binaryField(month)
            try writer.binaryField(utf8: event.customer)
            try writer.binaryField(utf8: event.id)
            writer.binaryField(event.occurredAt)
            try writer.binaryField(utf8: event.model)
            try writer.binaryField(utf8: event.site)
            try writer.binaryField(utf8: event.tag)
            writer.binaryField(event.input)
            writer.binaryField(event.cached)
            writer.binaryField(event.output)
            writer.binaryField(late)
            writer.binaryField(billing)
            try writer.binaryEndRow()
            let key = HourlyRollup.Key(
                customer: accepted.customer, model: accepted.model, site: sites.intern(event.site), tag: tags.intern(event.tag),
                hour: event.occurredAt.hoursSinceEpoch, billingMonth: billing)
            rollup.add(key, input: event.input, cachedInput: event.cached, output: event.output, late: late)
        }

        /// The first day of the event's month; updates the per-day cache.
        private mutating func month(of instant: UTCTimestamp) -> CivilDate {
            let day = instant.daysSinceEpoch
            if day != lastDay {
                lastDay = day
                lastMonth = BillingMonth(containing: CivilDate(daysSinceEpoch: Int(day))).firstDay
            }
            return lastMonth
        }

        /// The month whose invoice bills a customer's usage of `month`: that
        /// month, or, if it is closed for the customer (its invoice is
        /// finalized, or the whole month was), the first later month that is
        /// not (SPEC §4: late usage goes on the next open invoice).
        private func billingMonth(customer: Int32, month: CivilDate) -> CivilDate {
            guard !finalized.isEmpty || !closedMonths.isEmpty else { return month }
            var billing = month
            while closedMonths.contains(billing) || finalized.contains(CustomerMonth(customer: customer, month: billing)) {
                billing = BillingMonth(containing: billing).next.firstDay
            }
            return billing
        }

        private mutating func ensurePartition(for instant: UTCTimestamp) throws {
            let month = month(of: instant)
            guard !partitions.contains(month) else { return }
            // Serialized so that two ingests cannot race to create it.
            try db.execute("SELECT pg_advisory_xact_lock(hashtext('tally.usage_partitions'))")
            try db.execute("SELECT ensure_usage_partition(\(month))")
            partitions.insert(month)
        }

        /// Writes the batch's rejects in line order.
        private mutating func writeBatchRejects() throws {
            guard !batchRejects.isEmpty else { return }
            batchRejects.sort { $0.line < $1.line }
            for reject in batchRejects { try rejects.write(line: reject.line, reason: reject.reason, input: reject.input) }
            batchRejects.removeAll(keepingCapacity: true)
        }
    }
}
