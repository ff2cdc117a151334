import TallyCore
import TallyPostgres

extension UsageIngester {
    /// One ingest in progress, inside its transaction: reading, batching,
    /// the choice of path, and the rollup (see ``UsageIngester``).
    struct Load {
        /// An event that passed every check, with its names interned.
        private struct Accepted {
            var event: EventLineParser.Event
            var customer: Int32
            var model: Int32
        }

        private static let columns: SQL = """
            (month, customer_id, event_id, occurred_at, model, site_id, tag,
             input_tokens, cached_input_tokens, output_tokens, late, billing_month)
            """

        let db: PostgresConnection
        private var source: EventSource
        var rejects: RejectsFile
        var summary = Summary()
        var timer = PhaseTimer()
        var progress: ((Int) -> Void)?
        var batchSize = 200_000
        private var rollup = HourlyRollup()
        var rollupLimit = 500_000
        var strict = false
        /// When an event may have happened (``UsageEvent/window(now:)``).
        private let window: ClosedRange<UTCTimestamp>
        /// Unknown keys met, indexing `summary.unknownKeys`.
        private var unknownKeys = ByteStringTable()

        private var customers: ByteStringTable
        private var models: ByteStringTable
        private var sites = ByteStringTable()
        private var tags = ByteStringTable()
        /// (customer, month) pairs whose invoice is no longer a draft: usage
        /// arriving for them is late, billed on the next open month.
        private let finalized: Set<CustomerMonth>
        /// Months finalized as a whole (`closed_periods`): closed for every
        /// customer, including those that had no invoice in them (SPEC §4).
        private let closedMonths: Set<CivilDate>
        private struct CustomerMonth: Hashable {
            let customer: Int32
            let month: CivilDate
        }
        /// Months whose partition exists (ensured in this transaction).
        private var partitions: Set<CivilDate> = []
        /// The event read past the end of a batch (its month needs a partition first).
        private var pending: Accepted?
        /// Set once a batch met an event already stored: from then on every
        /// batch goes through staging and `ON CONFLICT DO NOTHING`.
        private var deduplicating = false
        // The last event's day and what follows from it (events come in runs of a day).
        private var lastDay = Int64.min
        private var lastMonth = CivilDate(daysSinceEpoch: 0)
        private var lastMonthText: [UInt8] = []

        init(db: PostgresConnection, source: EventSource, rejects: RejectsFile, window: ClosedRange<UTCTimestamp>) throws {
            self.db = db
            self.window = window
            self.source = source
            self.rejects = rejects
            customers = ByteStringTable(try db.execute("SELECT id FROM customers ORDER BY id").map { try $0.decode(0, as: String.self) })
            models = ByteStringTable(
                try db.execute("SELECT DISTINCT model FROM rate_card_prices ORDER BY model").map { try $0.decode(0, as: String.self) })
            let customers = self.customers
            var finalized = Set<CustomerMonth>()
            for row in try db.execute("SELECT customer_id, period FROM invoices WHERE status <> 'draft'") {
                if let customer = customers.index(of: Array(try row.decode(0, as: String.self).utf8)[...]) {
                    finalized.insert(CustomerMonth(customer: customer, month: try row.decode(1, as: CivilDate.self)))
                }
            }
            self.finalized = finalized
            closedMonths = Set(try db.execute("SELECT month FROM closed_periods").map { try $0.decode(0, as: CivilDate.self) })
        }

        mutating func run() throws {
            while try batch() {}
            timer.lap("events")
            try writeRollup()
            timer.lap("rollup")
        }

        /// Loads one batch; false once the input is exhausted.
        private mutating func batch() throws -> Bool {
            guard let first = try pending ?? nextAccepted() else { return false }
            pending = nil
            try ensurePartition(for: first.event.occurredAt)
            var batchRollup = HourlyRollup()
            var more = true
            func write(_ writer: inout CopyWriter) throws {
                var accepted = first
                var count = 0
                while true {
                    try encode(accepted, into: &writer, rollup: &batchRollup)
                    count += 1
                    if count == batchSize { return }
                    guard let next = try nextAccepted() else {
                        more = false
                        return
                    }
                    if !partitions.contains(month(of: next.event.occurredAt)) {
                        pending = next
                        return
                    }
                    accepted = next
                }
            }
            let db = self.db
            if !deduplicating {
                var kept: [UInt8] = []
                do {
                    let rows = try db.savepoint {
                        try db.copyIn("COPY usage_events \(Self.columns) FROM STDIN", keepingBytesIn: &kept) { try write(&$0) }
                    }
                    summary.accepted += rows
                    summary.late += batchRollup.lateEvents
                    rollup.merge(batchRollup)
                } catch SQLState.uniqueViolation {
                    // Some event is already stored (or given twice): this batch
                    // and all later ones skip exactly those.
                    deduplicating = true
                    try prepareStaging()
                    count(try Self.insertDeduplicating(db) { try db.copyIn($0, bytes: kept) })
                }
            } else {
                count(try Self.insertDeduplicating(db) { try db.copyIn($0) { try write(&$0) } })
            }
            if rollup.count > rollupLimit { try writeRollup() }
            return more
        }

        /// Stages rows, then inserts those not already stored and adds exactly
        /// them to the hourly rollup, in one statement.
        private static func insertDeduplicating(
            _ db: PostgresConnection, _ copy: (SQL) throws -> Int
        ) throws -> (staged: Int, inserted: Int, late: Int) {
            try db.execute("TRUNCATE stage_usage")
            let staged = try copy("COPY stage_usage \(Self.columns) FROM STDIN")
            let row = try db.execute(
                """
                WITH inserted AS (
                    INSERT INTO usage_events \(Self.columns)
                    SELECT month, customer_id, event_id, occurred_at, model, site_id, tag,
                           input_tokens, cached_input_tokens, output_tokens, late, billing_month
                    FROM stage_usage
                    ON CONFLICT DO NOTHING
                    RETURNING customer_id, occurred_at, model, site_id, tag, late, billing_month,
                              input_tokens, cached_input_tokens, output_tokens
                ), rolled AS (
                    INSERT INTO usage_hourly AS h (customer_id, hour, model, site_id, tag, billing_month,
                                                   input_tokens, cached_input_tokens, output_tokens, events)
                    SELECT customer_id, date_trunc('hour', occurred_at), model, site_id, tag, billing_month,
                           sum(input_tokens), sum(cached_input_tokens), sum(output_tokens), count(*)
                    FROM inserted GROUP BY 1, 2, 3, 4, 5, 6
                    ON CONFLICT (customer_id, hour, model, site_id, tag, billing_month) DO UPDATE SET
                        input_tokens = h.input_tokens + excluded.input_tokens,
                        cached_input_tokens = h.cached_input_tokens + excluded.cached_input_tokens,
                        output_tokens = h.output_tokens + excluded.output_tokens,
                        events = h.events + excluded.events
                )
                SELECT count(*), count(*) FILTER (WHERE late) FROM inserted
                """)[0]
            return (staged, try row.decode(0, as: Int.self), try row.decode(1, as: Int.self))
        }

        private func prepareStaging() throws {
            try db.execute("CREATE TEMP TABLE IF NOT EXISTS stage_usage (LIKE usage_events INCLUDING DEFAULTS) ON COMMIT DROP")
        }

        private mutating func count(_ result: (staged: Int, inserted: Int, late: Int)) {
            summary.accepted += result.inserted
            summary.duplicates += result.staged - result.inserted
            summary.late += result.late
        }

        /// Adds the summed groups to `usage_hourly` (staged by COPY, then one upsert).
        private mutating func writeRollup() throws {
            guard rollup.count > 0 else { return }
            try db.execute("CREATE TEMP TABLE IF NOT EXISTS stage_hourly (LIKE usage_hourly) ON COMMIT DROP")
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
                ON CONFLICT (customer_id, hour, model, site_id, tag, billing_month) DO UPDATE SET
                    input_tokens = h.input_tokens + excluded.input_tokens,
                    cached_input_tokens = h.cached_input_tokens + excluded.cached_input_tokens,
                    output_tokens = h.output_tokens + excluded.output_tokens,
                    events = h.events + excluded.events
                """)
            self.rollup.removeAll()
        }

        /// One event as a COPY row, and into the batch's rollup.
        private mutating func encode(_ accepted: Accepted, into writer: inout CopyWriter, rollup: inout HourlyRollup) throws {
            let event = accepted.event
            let month = month(of: event.occurredAt)
            let billing = billingMonth(customer: accepted.customer, month: month)
            let late = billing != month
            try writer.field(utf8: lastMonthText[...])
            try writer.field(utf8: event.customer)
            try writer.field(utf8: event.id)
            try writer.field(utf8: event.timestamp)
            try writer.field(utf8: event.model)
            try writer.field(utf8: event.site)
            try writer.field(utf8: event.tag)
            writer.field(Int(event.input))
            writer.field(Int(event.cached))
            writer.field(Int(event.output))
            if late {
                try writer.field(utf8: Self.trueText)
                try writer.field(billing)
            } else {
                try writer.field(utf8: Self.falseText)
                try writer.field(utf8: lastMonthText[...])
            }
            try writer.endRow()
            let key = HourlyRollup.Key(
                customer: accepted.customer, model: accepted.model, site: sites.intern(event.site), tag: tags.intern(event.tag),
                hour: event.occurredAt.hoursSinceEpoch, billingMonth: billing)
            rollup.add(key, input: event.input, cachedInput: event.cached, output: event.output, late: late)
        }

        private static let trueText = Array("t".utf8)[...]
        private static let falseText = Array("f".utf8)[...]

        /// The first day of the event's month; updates the per-day cache.
        private mutating func month(of instant: UTCTimestamp) -> CivilDate {
            let day = instant.daysSinceEpoch
            if day != lastDay {
                lastDay = day
                lastMonth = BillingMonth(containing: CivilDate(daysSinceEpoch: Int(day))).firstDay
                lastMonthText = Array(lastMonth.description.utf8)
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

        /// Counts each unknown key once per event; the first line it is on is kept.
        private mutating func noteUnknownKeys(_ keys: [ArraySlice<UInt8>], line: Int) {
            var counted: [Int32] = []
            for key in keys {
                guard unknownKeys.index(of: key) != nil || unknownKeys.names.count < UnknownKey.listedAtMost else {
                    summary.unlistedUnknownKeys += 1  // memory stays bounded whatever the file holds
                    continue
                }
                let index = unknownKeys.intern(key)
                guard !counted.contains(index) else { continue }  // given twice in one event
                counted.append(index)
                if Int(index) == summary.unknownKeys.count {
                    summary.unknownKeys.append(UnknownKey(key: String(decoding: key, as: UTF8.self), firstLine: line, events: 0))
                }
                summary.unknownKeys[Int(index)].events += 1
            }
        }

        /// The next event that passes every check; refusals go to the rejects file.
        private mutating func nextAccepted() throws -> Accepted? {
            while let (line, item) = try source.next() {
                summary.lines += 1
                if line % 250_000 == 0 { progress?(line) }
                let reason: String
                let input: String
                switch item {
                case .event(let event):
                    if !event.unknownKeys.isEmpty { noteUnknownKeys(event.unknownKeys, line: line) }
                    if !window.contains(event.occurredAt) {
                        reason = "\"timestamp\" '\(String(decoding: event.timestamp, as: UTF8.self))' is outside the accepted window "
                            + "\(window.lowerBound) – \(window.upperBound) (at most \(UsageEvent.maximumAgeDays) days old, "
                            + "at most \(UsageEvent.maximumLeadMinutes) minutes ahead of the clock)"
                    } else if let customer = customers.index(of: event.customer) {
                        if let model = models.index(of: event.model) {
                            if strict, let key = event.unknownKeys.first {
                                reason = "unknown key \(RejectsFile.json(String(decoding: key, as: UTF8.self))) (--strict)"
                            } else {
                                return Accepted(event: event, customer: customer, model: model)
                            }
                        } else {
                            reason = "unknown model '\(String(decoding: event.model, as: UTF8.self))' (no rate card prices it)"
                        }
                    } else {
                        reason = "unknown customer '\(String(decoding: event.customer, as: UTF8.self))'"
                    }
                    input = source.inputText()
                case .rejected(let why, let text):
                    reason = why
                    input = text
                }
                summary.rejected += 1
                try rejects.write(line: line, reason: reason, input: input)
            }
            return nil
        }
    }
}
