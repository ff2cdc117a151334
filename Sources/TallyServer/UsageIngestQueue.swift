import Foundation
import TallyCore
import TallyDatabase
import TallyPostgres

/// Group commit for `POST /v1/usage/events`: requests that arrive while an
/// ingest is running wait in line, and the next ingest takes all of them (up
/// to ``maximumLines``) in one transaction: one input, one `COPY` per
/// partition, one rollup upsert, one commit, then each request gets its own
/// counts and rejects.
///
/// Why: an ingest costs a transaction's fixed work (locks, look-ups, the
/// rollup, the commit) whatever its size, so single-event requests taken one
/// transaction each saturate the database long before the events do. Taken
/// together they cost about what one batch of their size costs. Every request
/// is still answered only after the transaction holding its events committed,
/// and a failure fails exactly the requests of that transaction (nothing of
/// theirs is stored). Requests are grouped only with requests of the same
/// `strict` setting; each keeps its own audit entry, written in the same
/// transaction.
///
/// The requests' API keys are looked up in that transaction too, all in one
/// statement (``Caller``): a request whose key is unknown, revoked or not
/// allowed to ingest is answered 401 or 403 and its events are left out of
/// the input; the others are not affected.
actor UsageIngestQueue {
    /// Who sent a request: a key already checked (its audit actor), or the
    /// digest of one that the grouped ingest looks up.
    enum Caller: Sendable {
        case verified(AuditActor)
        case unverified(digest: String)
    }

    /// One request's events, its line count and what it is answered.
    struct Submission {
        var bytes: [UInt8]
        /// Lines of `bytes`, counted once when the request arrives.
        var lines: Int
        var strict: Bool
        var caller: Caller
        /// Elements a JSON array's splitter refused (already numbered).
        var ownRejects: [(line: Int, reason: String)]
        var continuation: CheckedContinuation<UsageRoutes.Outcome, any Error>
    }

    /// At most this many lines in one grouped ingest (a single larger request
    /// still goes alone).
    let maximumLines: Int
    /// Grouped ingests running at once (each on its own connection).
    let maximumRunning: Int
    private let database: ServerDatabase
    private let settings: ServerSettings
    private var pending: [Submission] = []
    private var running = 0

    init(database: ServerDatabase, settings: ServerSettings, maximumLines: Int = 50_000, maximumRunning: Int = 2) {
        self.database = database
        self.settings = settings
        self.maximumLines = maximumLines
        self.maximumRunning = maximumRunning
    }

    /// Ingests `bytes` (NDJSON) with the next group; returns once committed.
    func ingest(
        _ bytes: [UInt8], strict: Bool, caller: Caller, ownRejects: [(line: Int, reason: String)]
    ) async throws -> UsageRoutes.Outcome {
        try await withCheckedThrowingContinuation { continuation in
            pending.append(Submission(bytes: bytes, lines: Self.lineCount(bytes), strict: strict, caller: caller, ownRejects: ownRejects, continuation: continuation))
            startIfIdle()
        }
    }

    private func startIfIdle() {
        guard running < maximumRunning, !pending.isEmpty else { return }
        running += 1
        Task { await self.drain() }
    }

    private func drain() async {
        while let group = takeGroup() {
            let outcomes: [Result<UsageRoutes.Outcome, any Error>]
            do {
                outcomes = try await Self.run(group.map(\.part), strict: group[0].strict, database: database, settings: settings)
            } catch {
                outcomes = group.map { _ in .failure(error) }
            }
            for (submission, outcome) in zip(group, outcomes) {
                submission.continuation.resume(with: outcome)
            }
        }
        running -= 1
    }

    /// The oldest request and those after it of the same `strict`, in order,
    /// up to ``maximumLines`` (always at least one).
    private func takeGroup() -> [Submission]? {
        guard let first = pending.first else { return nil }
        var group: [Submission] = []
        var lines = 0
        var rest: [Submission] = []
        for submission in pending {
            let count = submission.lines
            if submission.strict == first.strict && (group.isEmpty || lines + count <= maximumLines) {
                group.append(submission)
                lines += count
            } else {
                rest.append(submission)
            }
        }
        pending = rest
        return group
    }

    /// What the ingest needs of one request (sendable, without its continuation).
    struct Part: Sendable {
        var bytes: [UInt8]
        var lines: Int
        var caller: Caller
        var ownRejects: [Reject]
        struct Reject: Sendable {
            var line: Int
            var reason: String
        }
    }

    static func lineCount(_ bytes: [UInt8]) -> Int {
        var count = 0
        for byte in bytes where byte == 0x0A { count += 1 }
        return bytes.last == 0x0A || bytes.isEmpty ? count : count + 1
    }

    /// One transaction for all `parts`: the unverified keys looked up (one
    /// statement), the bodies of the parts whose key may ingest one after the
    /// other in one input held in memory (each ending in a newline, so line N
    /// of a body is line offset + N of the input), one ingest recording its
    /// lines, one audit entry per request (one statement), one commit. Each part gets its
    /// outcome, or the 401/403 problem of its key. A deadlock, a
    /// serialization failure or an event stored meanwhile by a concurrent
    /// group rolls it all back and it is run again
    /// (``UsageRoutes/retryingConflicts(_:)``).
    static func run(
        _ parts: [Part], strict: Bool, database: ServerDatabase, settings: ServerSettings
    ) async throws -> [Result<UsageRoutes.Outcome, any Error>] {
        let now = settings.clock.now
        let digests = parts.compactMap { part -> String? in
            if case .unverified(let digest) = part.caller { return digest }
            return nil
        }
        return try await database.run { db in
            var ingester = UsageIngester(db)
            ingester.strict = strict
            ingester.recordLines = true
            return try UsageRoutes.retryingConflicts {
                try db.transaction {
                    // Who may ingest, read in this transaction: a key revoked
                    // before it began stores nothing.
                    let keys = try ApiKeyStore(db).liveKeys(digests: digests)
                    var results: [Result<UsageRoutes.Outcome, any Error>?] = Array(repeating: nil, count: parts.count)
                    var actors: [AuditActor] = []
                    var admitted: [Int] = []
                    for (index, part) in parts.enumerated() {
                        switch part.caller {
                        case .verified(let actor):
                            actors.append(actor)
                            admitted.append(index)
                        case .unverified(let digest):
                            let key = keys[digest].map(AuthenticatedKey.init)
                            if let refusal = TallyRequestContext.refusal(of: key, for: .usageWrite) {
                                results[index] = .failure(refusal)
                            } else if let key {
                                actors.append(AuditActor(name: key.name, role: key.role.rawValue, clock: settings.clock))
                                admitted.append(index)
                            }
                        }
                    }
                    if !admitted.isEmpty {
                        let outcomes = try ingest(
                            admitted.map { parts[$0] }, actors: actors, ingester: ingester, now: now, db: db)
                        for (index, outcome) in zip(admitted, outcomes) { results[index] = .success(outcome) }
                    }
                    return results.map { $0! }
                }
            }
        }
    }

    /// The ingest of the admitted `parts` (sent by `actors`), inside the
    /// group's transaction: one input, their outcomes, their audit entries.
    private static func ingest(
        _ parts: [Part], actors: [AuditActor], ingester: UsageIngester, now: UTCTimestamp, db: PostgresConnection
    ) throws -> [UsageRoutes.Outcome] {
        var input: [UInt8] = []
        var starts: [Int] = []
        var lines = 0
        for part in parts {
            starts.append(lines)
            input += part.bytes
            if !part.bytes.isEmpty && part.bytes.last != 0x0A { input.append(0x0A) }
            lines += part.lines
        }
        let (summary, rejects) = try ingester.ingest(ndjson: input, now: now)
        // The part each input line belongs to: the last start at or before it.
        func part(of line: Int) -> Int {
            var low = 0
            var high = starts.count - 1
            while low < high {
                let middle = (low + high + 1) / 2
                if starts[middle] < line { low = middle } else { high = middle - 1 }
            }
            return low
        }
        var outcomes = parts.map { part in
            UsageRoutes.Outcome(summary: UsageIngester.Summary(), rejects: part.ownRejects.map { ($0.line, $0.reason) })
        }
        for line in summary.acceptedLines ?? [] { outcomes[part(of: line)].summary.accepted += 1 }
        for line in summary.duplicateLines ?? [] { outcomes[part(of: line)].summary.duplicates += 1 }
        for reject in rejects {
            let index = part(of: reject.line)
            outcomes[index].rejects.append((reject.line - starts[index], reject.reason))
        }
        var entries: [AuditEntry] = []
        for index in parts.indices {
            outcomes[index].summary.rejected = outcomes[index].rejects.count
            let counts = outcomes[index].summary
            entries.append(
                actors[index].entry(.usageIngest, target: "\(counts.accepted) accepted, \(counts.duplicates) duplicate, \(counts.rejected) rejected"))
        }
        try AuditStore.record(entries, on: db)
        return outcomes
    }
}

extension UsageIngestQueue.Submission {
    var part: UsageIngestQueue.Part {
        UsageIngestQueue.Part(bytes: bytes, lines: lines, caller: caller, ownRejects: ownRejects.map { .init(line: $0.line, reason: $0.reason) })
    }
}
