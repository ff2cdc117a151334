import Foundation
import TallyCore
import TallyPostgres

/// Loads usage events (`tally usage ingest`).
///
/// One pass over the input, in bounded memory: each line is parsed and
/// validated (known customer, a model some card prices, counts that are whole,
/// not negative and not absurd, an RFC 3339 timestamp inside the accepted
/// window around `now`, text PostgreSQL can store); bad ones go to the
/// rejects file with their line number and reason. Good events stream by
/// `COPY` straight into their month's partition, in batches of
/// ``batchSize`` under a savepoint each; the partition's primary key on
/// (month, event id, customer) refuses any event already there. A batch it
/// refuses is rolled back and sent again, from the bytes kept, through a
/// staging table and `INSERT … ON CONFLICT DO NOTHING`, which skips exactly
/// the duplicates; from then on batches take that path. The hourly rollup of
/// the events inserted is summed here while streaming (the staging path sums
/// its own in SQL) and upserted at the end. All in one transaction: nothing
/// is half-written.
///
/// Why two paths: a file of new events (the usual case) loads at the speed
/// of a bare keyed `COPY`; a re-sent file pays for the exact deduplication
/// only once it has shown that it needs it (docs/usage.md, docs/benchmarks.md).
public struct UsageIngester {
    public enum Format: String, Sendable, CaseIterable {
        case ndjson, csv
    }

    public struct Summary: Sendable, Equatable {
        /// Events read (blank lines are not events).
        public var lines = 0
        public var accepted = 0
        public var duplicates = 0
        public var rejected = 0
        /// Accepted events whose customer's invoice of their month was already
        /// finalized (billed on the next open invoice as late usage).
        public var late = 0
        /// Keys (CSV: columns) that are not event fields, in the order first
        /// met: ignored, or refused with ``UsageIngester/strict``.
        public var unknownKeys: [UnknownKey] = []
        /// Occurrences of unknown keys beyond the first
        /// ``UnknownKey/listedAtMost`` distinct ones (counted, not listed).
        public var unlistedUnknownKeys = 0
    }

    /// A key events carried that Tally does not know (`"output_token"`, a
    /// typo that would bill nothing, or a field from a newer producer).
    public struct UnknownKey: Sendable, Equatable {
        /// Distinct keys listed; more are only counted.
        public static let listedAtMost = 100

        public var key: String
        /// The first line it appears on.
        public var firstLine: Int
        /// Events that carry it.
        public var events: Int

        public init(key: String, firstLine: Int, events: Int) {
            self.key = key
            self.firstLine = firstLine
            self.events = events
        }
    }

    /// Events per COPY batch (and savepoint).
    public var batchSize = 200_000
    /// Hourly groups summed in memory before they are written out.
    public var rollupLimit = 500_000
    /// Refuse events with unknown keys (default: ignore the keys, count and
    /// report them, keep the event: forward compatible).
    public var strict = false

    /// Taken shared by every ingest and exclusively by invoice finalization,
    /// so that no event can land in a month while it is being closed without
    /// being marked late.
    public static let closingLock = "tally.usage_closing"

    let db: PostgresConnection

    public init(_ db: PostgresConnection) {
        self.db = db
    }

    /// `now` is the instant the accepted window is counted from
    /// (``UsageEvent/window(now:)``). `progress` is called now and then with
    /// the lines read so far.
    public func ingest(
        path: String, format: Format, rejectsPath: String, now: UTCTimestamp = TallyClock.current.now,
        progress: ((Int) -> Void)? = nil
    ) throws -> Summary {
        // Written aside and moved into place only if the ingest commits, so a
        // failed ingest never leaves a rejects file describing a load that did not happen.
        var rejects = try RejectsFile(path: rejectsPath + ".partial")
        defer {
            rejects.close()
            try? FileManager.default.removeItem(atPath: rejectsPath + ".partial")
        }
        var timer = PhaseTimer()
        defer { timer.report() }

        // Room for the staging table in memory. PostgreSQL accepts this only
        // before the session's first temporary table, so it is best effort, and
        // only outside a transaction, where a refusal cannot abort anything.
        if !db.isInTransaction {
            _ = try? db.execute("SELECT set_config('temp_buffers', '256MB', false)")
        }
        let result = try db.transaction {
            try db.execute("SELECT pg_advisory_xact_lock_shared(hashtext(\(Self.closingLock)))")
            var load = try Load(
                db: db, source: try EventSource(path: path, format: format), rejects: rejects, window: UsageEvent.window(now: now))
            load.strict = strict
            defer { rejects = load.rejects }
            load.progress = progress
            load.batchSize = batchSize
            load.rollupLimit = rollupLimit
            try load.run()
            try load.rejects.finish()  // rejects that cannot be written fail the ingest before it commits
            timer = load.timer
            return load.summary
        }
        rejects.close()
        try? FileManager.default.removeItem(atPath: rejectsPath)
        try FileManager.default.moveItem(atPath: rejectsPath + ".partial", toPath: rejectsPath)
        return result
    }
}
