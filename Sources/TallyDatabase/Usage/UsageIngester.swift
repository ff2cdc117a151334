import Foundation
import TallyCore
import TallyPostgres

/// Loads usage events (`tally usage ingest`).
///
/// One pass over the input, in bounded memory: each line is parsed and
/// validated (known customer, a model some card prices, counts that are whole,
/// not negative and not absurd, an RFC 3339 timestamp inside the accepted
/// window around `now`, text PostgreSQL can store); bad ones go to the
/// rejects file with their line number and reason. Good events are read in
/// batches of ``batchSize``. Each batch is deduplicated exactly, without
/// waiting for an error: first within itself, then by one statement of
/// primary-key look-ups of its (customer, event id) pairs in the partitions of
/// the events' months and the ``dedupeWindowMonths`` months either side. An
/// event found with the same content is a duplicate (not counted again), with
/// other content a conflict (rejected: "duplicate id with different
/// content"). The new events stream by `COPY` straight into their month's
/// partition under a savepoint (none inside the caller's transaction: see
/// ``isConcurrentDuplicate(_:)``); the hourly rollup of the events inserted is
/// summed here while streaming and upserted at the end of each chunk.
///
/// Reading runs a batch ahead of the database: ``EventBatches`` parses and
/// checks the lines on a thread of its own (``backgroundParsingFromBytes``),
/// while this thread, the connection's, checks what depends on the database
/// (archived and closed months, partitions), looks the batch before up and
/// copies it in. Both sides then use a core each.
///
/// The input is committed in chunks of ``chunkEvents`` events (one
/// transaction each): a crash loses at most the open chunk, and running the
/// same ingest again finds the committed events as duplicates and finishes
/// the file (docs/usage.md).
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
        /// The line of every accepted event and of every duplicate, in the
        /// order met, when ``UsageIngester/recordLines`` is set (nil
        /// otherwise): how the server splits one ingest of several requests
        /// back into each request's counts. Every other event line is a
        /// reject (in the rejects file, or returned by `ingest(ndjson:now:)`).
        public var acceptedLines: [Int]?
        public var duplicateLines: [Int]?

        public init() {}
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

    /// Events per COPY batch (and look-up statement and, on the ingest's own
    /// transactions, savepoint).
    public var batchSize = 200_000
    /// Events (input lines) per transaction: a crash loses at most this many.
    /// Called inside a transaction already, the chunks run in it.
    public var chunkEvents = 1_000_000
    /// Called after each batch with where the input is (for a progress display).
    public var onProgress: ((Progress) -> Void)?

    /// Where an ingest is, for a progress display.
    public struct Progress: Sendable {
        /// Events read so far (rejected ones included).
        public var lines: Int
        public var accepted: Int
        /// Bytes of the input read so far, and its size (nil for a stream).
        public var bytesRead: Int
        public var totalBytes: Int?
    }

    /// How many months either side of an event's own month its id is looked
    /// up in: 2, so an id re-sent up to 59 days after (or before) the first
    /// one is always found, whatever the calendar (issue 16 asks for at least
    /// 35; docs/usage.md says why not forever).
    public static let dedupeWindowMonths = 2

    /// The first days of the months an event of `month` is deduplicated
    /// against: its own and ``dedupeWindowMonths`` either side.
    public static func dedupeWindow(around month: CivilDate) -> [CivilDate] {
        var months = [month]
        var before = BillingMonth(containing: month)
        var after = before
        for _ in 0..<dedupeWindowMonths {
            before = BillingMonth(containing: before.firstDay.adding(days: -1))
            after = after.next
            months.append(before.firstDay)
            months.append(after.firstDay)
        }
        return months
    }
    /// Hourly groups summed in memory before they are written out.
    public var rollupLimit = 500_000
    /// Rollups of at most this many groups are upserted with the groups as
    /// bound arrays (one statement); larger ones are staged in a temporary
    /// table by `COPY` first, which costs a catalog write and two more round
    /// trips per transaction but streams any size.
    public var boundRollupLimit = 20_000
    /// Refuse events with unknown keys (default: ignore the keys, count and
    /// report them, keep the event: forward compatible).
    public var strict = false
    /// Record the lines of accepted and duplicate events in the summary
    /// (``Summary/acceptedLines``): for inputs of bounded size, such as the
    /// server's grouped requests.
    public var recordLines = false
    /// Inputs of at least this many bytes (and standard input, whose size is
    /// unknown) are read and checked on a thread of their own, a batch ahead,
    /// while this thread deduplicates and copies the batch before: parsing
    /// then overlaps PostgreSQL's work instead of adding to it (the machine's
    /// second core). Smaller inputs, and any ingest with ``recordLines`` (the
    /// server's grouped requests, a few kilobytes), are read inline: for a
    /// batch or two, handing batches between threads only adds latency.
    /// 4 MiB is about 20,000 events, tens of milliseconds of parsing.
    public var backgroundParsingFromBytes = 4 << 20
    /// Whether `error` says an event this ingest was copying in had been
    /// stored by a concurrent ingest after its look-up (the partition's key
    /// refused it; on Citus a worker's refusal reaches the coordinator as
    /// XX000 with the constraint in the message). Nothing of the copy is
    /// stored, and running the ingest again finds the event a duplicate: an
    /// ingest on its own transactions does so itself; inside its caller's
    /// transaction, which the error aborts, the caller rolls back and runs
    /// it again (the server's grouped requests).
    public static func isConcurrentDuplicate(_ error: any Error) -> Bool {
        guard let error = error as? PostgresError else { return false }
        if error.sqlState == .uniqueViolation { return true }
        return error.sqlState?.rawValue == "XX000" && error.message.contains("duplicate key value violates unique constraint")
            && error.message.contains("usage_events")
    }

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
        // The input first: an input that cannot be opened leaves no rejects
        // file open (``run`` closes the one it is given).
        let source = try EventSource(path: path, format: format)
        // Written aside and moved into place only if the ingest commits, so a
        // failed ingest never leaves a rejects file describing a load that did not happen.
        let rejects = try RejectsFile(path: rejectsPath + ".partial")
        defer { try? FileManager.default.removeItem(atPath: rejectsPath + ".partial") }
        let totalBytes = path == "-" ? nil : (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        let summary = try run(source: source, rejects: rejects, totalBytes: totalBytes, now: now, progress: progress).summary
        try? FileManager.default.removeItem(atPath: rejectsPath)
        try FileManager.default.moveItem(atPath: rejectsPath + ".partial", toPath: rejectsPath)
        return summary
    }

    /// Ingests NDJSON held in memory and returns the rejects with the
    /// summary: the server's grouped requests. No file is written or read:
    /// creating and deleting files per request stalled the whole server for
    /// 50–250 ms every 5 s, while the file system committed its journal.
    public func ingest(
        ndjson bytes: [UInt8], now: UTCTimestamp
    ) throws -> (summary: Summary, rejects: [(line: Int, reason: String)]) {
        let (summary, rejects) = try run(
            source: EventSource(ndjson: bytes), rejects: RejectsFile(), totalBytes: bytes.count, now: now, progress: nil)
        return (summary, rejects.held)
    }

    private func run(
        source: EventSource, rejects: RejectsFile, totalBytes: Int?, now: UTCTimestamp, progress: ((Int) -> Void)?
    ) throws -> (summary: Summary, rejects: RejectsFile) {
        var rejects = rejects
        defer { rejects.close() }
        var timer = PhaseTimer()
        defer { timer.report() }

        // Room for the staging table in memory. PostgreSQL accepts this only
        // before the session's first temporary table, so it is best effort, and
        // only outside a transaction, where a refusal cannot abort anything.
        if !db.isInTransaction {
            _ = try? db.execute("SELECT set_config('temp_buffers', '256MB', false)")
        }
        let background = !recordLines && (totalBytes ?? Int.max) >= backgroundParsingFromBytes
        var load = try Load(
            db: db, source: source, rejects: rejects, window: UsageEvent.window(now: now),
            strict: strict, batchSize: batchSize, chunkEvents: chunkEvents, background: background)
        // The reader's thread ends with the ingest, whatever happens: at once
        // after the last batch, else (an error here) at its next batch.
        defer { load.stop() }
        if recordLines {
            load.summary.acceptedLines = []
            load.summary.duplicateLines = []
        }
        load.progress = progress
        load.rollupLimit = rollupLimit
        load.boundRollupLimit = boundRollupLimit
        load.onProgress = onProgress
        load.totalBytes = totalBytes
        // Called inside a transaction already (the server's grouped
        // requests), the chunks run in it, without a savepoint each: an error
        // fails the caller's transaction as a whole, as it must roll back.
        let inCallersTransaction = load.inCallersTransaction
        var more = true
        while more {
            let chunk = {
                try load.startChunk()
                let more = try load.runChunk()
                try load.rejects.finish()  // rejects that cannot be written fail the chunk before it commits
                return more
            }
            more = inCallersTransaction ? try chunk() : try db.transaction { try chunk() }
        }
        timer = load.timer
        rejects = load.rejects
        return (load.summary, rejects)
    }
}
