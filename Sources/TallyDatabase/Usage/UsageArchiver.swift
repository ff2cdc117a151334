#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import Foundation
import TallyCore
import TallyPostgres

/// Moves a month's raw usage events out of the database into compressed
/// files and back (`tally usage archive`, `tally usage restore`;
/// docs/usage.md "Retention: archive and restore"). The hourly rollup, which
/// invoices and reports read, is never touched.
///
/// **Archive** (``archive(month:to:now:forceGrace:audit:)``): only a month
/// ``UsageRetention`` allows, whose rollup matches its events. The
/// partition's rows are read by `COPY … TO STDOUT` in one snapshot, in
/// (customer, event id) order, into gzip files of ``rowsPerFile`` rows in
/// `DIR/.partial`, with a ``UsageArchiveManifest``; each file is fsynced,
/// then read back and checked against the manifest, then moved into `DIR`
/// (the manifest last). Then one transaction, holding the lock that ingest
/// chunks share: the rules again, the partition detached, its count and
/// totals checked against the manifest, the partition dropped, the month
/// recorded in `archived_usage_months`, an audit entry. Refused or failed,
/// it changes nothing in the database.
///
/// **Restore** (``restore(from:audit:)``): every file's size and SHA-256
/// against the manifest before the database is touched (naming the file that
/// differs); then one transaction: the month must be recorded as archived
/// with this manifest; the partition is created again, the rows are copied
/// back, each file's row count and the month's totals are checked, the month
/// leaves `archived_usage_months`, an audit entry. Any difference rolls it
/// all back.
public struct UsageArchiver {
    /// Rows per archive file by default (about 50 MB of gzip).
    public static let defaultRowsPerFile: Int64 = 10_000_000

    let db: PostgresConnection
    /// Rows per file (the last file holds the rest).
    public var rowsPerFile = defaultRowsPerFile

    public init(_ db: PostgresConnection) {
        self.db = db
    }

    /// What an archive or restore did.
    public struct Outcome: Sendable {
        public var manifest: UsageArchiveManifest
        /// The archive folder, absolute.
        public var directory: String
        /// SHA-256 of the MANIFEST file (recorded in `archived_usage_months`).
        public var manifestSHA256: String
        /// The grace period had not passed and was waived (`--force-grace`).
        public var graceWaived: Bool
    }

    // MARK: Archive

    /// Archives `month` into the folder `directory` (created if missing; it
    /// must not hold an archive already). `now` is the clock (the grace
    /// period is counted to its day; `archived_at`).
    @discardableResult
    public func archive(
        month: BillingMonth, to directory: String, now: UTCTimestamp = TallyClock.current.now, forceGrace: Bool = false,
        audit: AuditActor? = nil
    ) throws -> Outcome {
        precondition(!db.isInTransaction, "archive runs its own transactions (a snapshot to read, one to drop)")
        precondition(rowsPerFile > 0, "rowsPerFile is 1 or more")
        let partition = UsageArchiveManifest.partition(of: month)
        let decision = try check(month: month, now: now, forceGrace: forceGrace)
        let differences = try UsageVerifier(db).verify(period: month)
        guard differences.isEmpty else {
            throw UsageArchiveError(.refused, """
                \(month) cannot be archived: its hourly rollup differs from its raw events in \(differences.count) group(s) \
                (tally usage verify --period \(month)); the rollup stays forever and must agree with the events that leave
                """)
        }

        let folder = URL(fileURLWithPath: directory).standardizedFileURL.path
        let partial = folder + "/.partial"
        let files = FileManager.default
        try prepare(folder: folder, partial: partial)
        defer { try? files.removeItem(atPath: partial) }

        // Read in one snapshot: the totals and the rows agree.
        let manifest: UsageArchiveManifest = try db.transaction(.repeatableRead) {
            let columns = try db.execute(
                """
                SELECT attname::text FROM pg_attribute
                WHERE attrelid = 'usage_events'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum
                """
            ).map { try $0.decode(0, as: String.self) }
            let totals = try Self.totals(db, partition: partition)
            var written: [UsageArchiveManifest.File] = []
            var writer: GzipFileWriter?
            var rowsInFile: Int64 = 0
            func endFile() throws {
                guard let file = writer else { return }
                let (bytes, sha256) = try file.finish()
                written.append(UsageArchiveManifest.File(
                    name: UsageArchiveManifest.dataFileName(month: month, index: written.count), rows: rowsInFile, bytes: bytes,
                    sha256: sha256))
                writer = nil
            }
            let rows = try db.copyOut(
                """
                COPY (SELECT \(identifiers: columns) FROM \(identifier: partition)
                      ORDER BY customer_id COLLATE "C", event_id COLLATE "C") TO STDOUT
                """
            ) { row in
                if writer == nil {
                    writer = try GzipFileWriter(path: partial + "/" + UsageArchiveManifest.dataFileName(month: month, index: written.count))
                    rowsInFile = 0
                }
                try writer?.append(row)
                rowsInFile += 1
                if rowsInFile == rowsPerFile { try endFile() }
            }
            try endFile()
            guard Int64(rows) == totals.events else {
                throw UsageArchiveError(.mismatch, "\(partition): COPY gave \(rows) rows where the same snapshot counts \(totals.events)")
            }
            return UsageArchiveManifest(month: month, columns: columns, totals: totals, files: written)
        }
        let text = Array(manifest.text.utf8)
        let manifestSHA256 = GzipFileWriter.hex(SHA256.hash(data: text))
        try Self.writeSynced(text, to: partial + "/" + UsageArchiveManifest.fileName)
        // Read every file back before anything leaves the database.
        try Self.check(manifest, in: partial, loading: { _ in })
        for file in manifest.files {
            try files.moveItem(atPath: partial + "/" + file.name, toPath: folder + "/" + file.name)
        }
        try files.moveItem(atPath: partial + "/" + UsageArchiveManifest.fileName, toPath: folder + "/" + UsageArchiveManifest.fileName)
        try Self.syncFolder(folder)

        // Our own checks throw before COMMIT is sent: then nothing was
        // dropped and the files, which describe rows still in the database,
        // are removed so the command can simply run again.
        var refusedBeforeCommit = false
        do {
            try db.transaction {
                try db.execute("SELECT pg_advisory_xact_lock(hashtext(\(UsageIngester.closingLock)))")
                try db.execute("SELECT pg_advisory_xact_lock(hashtext(\(UsagePartitions.lock)))")
                do {
                    _ = try check(month: month, now: now, forceGrace: forceGrace)
                } catch {
                    refusedBeforeCommit = true
                    throw error
                }
                try db.execute("ALTER TABLE usage_events DETACH PARTITION \(identifier: partition)")
                let stored = try Self.totals(db, partition: partition)
                guard stored == manifest.totals else {
                    refusedBeforeCommit = true
                    throw UsageArchiveError(.mismatch, """
                        the raw events of \(month) changed while they were archived (now \(stored); the archive holds \
                        \(manifest.totals)): nothing was dropped; run the command again
                        """)
                }
                try db.execute("DROP TABLE \(identifier: partition)")
                try db.execute(
                    """
                    INSERT INTO archived_usage_months (month, archived_at, events, manifest_sha256, location)
                    VALUES (\(month.firstDay), \(now), \(manifest.totals.events), \(manifestSHA256), \(folder))
                    """)
                var details = [
                    "events": String(manifest.totals.events), "files": String(manifest.files.count), "location": folder,
                    "manifest_sha256": manifestSHA256,
                ]
                if decision.graceWaived { details["force_grace"] = "true" }
                try AuditStore.record(audit, .usageArchive, target: month.description, details: details, on: db)
            }
        } catch {
            if refusedBeforeCommit {
                try? files.removeItem(atPath: folder + "/" + UsageArchiveManifest.fileName)
                for file in manifest.files { try? files.removeItem(atPath: folder + "/" + file.name) }
            }
            throw error
        }
        return Outcome(manifest: manifest, directory: folder, manifestSHA256: manifestSHA256, graceWaived: decision.graceWaived)
    }

    /// The archive rules for `month` now: not archived already, a
    /// partition, and ``UsageRetention``'s rules.
    private func check(month: BillingMonth, now: UTCTimestamp, forceGrace: Bool) throws -> UsageRetention.Decision {
        if let row = try db.execute("SELECT archived_at, location FROM archived_usage_months WHERE month = \(month.firstDay)").first {
            let (at, location) = (try row.decode(0, as: UTCTimestamp.self), try row.decode(1, as: String.self))
            throw UsageArchiveError(.state, "the raw events of \(month) were archived already (\(at), in \(location))")
        }
        guard try UsagePartitions(db).months().contains(month) else {
            throw UsageArchiveError(.state, "\(month) has no partition of raw events (\(UsageArchiveManifest.partition(of: month))): nothing to archive")
        }
        let decision = try UsageRetention(db).decide(month: month, today: now.date, forceGrace: forceGrace)
        guard decision.refusals.isEmpty else {
            throw UsageArchiveError(.refused, "\(month) cannot be archived yet: " + decision.refusals.joined(separator: "; "))
        }
        return decision
    }

    /// Creates the folder if needed, refuses one holding an archive, and
    /// starts an empty `.partial` inside it (a crashed run's is removed).
    private func prepare(folder: String, partial: String) throws {
        let files = FileManager.default
        do {
            try files.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw UsageArchiveError(.invalidInput, "cannot create the archive folder \(folder): \(error.localizedDescription)")
        }
        let present = (try? files.contentsOfDirectory(atPath: folder)) ?? []
        if let clash = present.sorted().first(where: { $0 == UsageArchiveManifest.fileName || $0.hasSuffix(".tsv.gz") }) {
            throw UsageArchiveError(.invalidInput, "\(folder) already holds an archive (\(clash)): give an empty or new folder")
        }
        try? files.removeItem(atPath: partial)
        do {
            try files.createDirectory(atPath: partial, withIntermediateDirectories: false)
        } catch {
            throw UsageArchiveError(.invalidInput, "cannot write in \(folder): \(error.localizedDescription)")
        }
    }

    // MARK: Restore

    /// Restores the month archived in the folder `directory`.
    @discardableResult
    public func restore(from directory: String, audit: AuditActor? = nil) throws -> Outcome {
        precondition(!db.isInTransaction, "restore runs in its own transaction")
        let folder = URL(fileURLWithPath: directory).standardizedFileURL.path
        let manifestPath = folder + "/" + UsageArchiveManifest.fileName
        guard let data = FileManager.default.contents(atPath: manifestPath) else {
            throw UsageArchiveError(.corrupt, "\(manifestPath) cannot be read: \(folder) is not a usage archive (no MANIFEST)")
        }
        guard let text = String(bytes: data, encoding: .utf8) else {
            throw UsageArchiveError(.corrupt, "\(manifestPath) is not UTF-8 text: not a usage archive manifest")
        }
        let manifest = try UsageArchiveManifest(parsing: text, path: manifestPath)
        let manifestSHA256 = GzipFileWriter.hex(SHA256.hash(data: data))
        // Every file, before the database is touched.
        for file in manifest.files {
            let path = folder + "/" + file.name
            let (bytes, sha256) = try GzipFileReader.checksum(path: path)
            guard bytes == file.bytes, sha256 == file.sha256 else {
                throw UsageArchiveError(.corrupt, """
                    \(path) does not match the manifest (\(bytes) bytes, SHA-256 \(sha256); the manifest says \(file.bytes) bytes, \
                    \(file.sha256)): the file is damaged or not this archive's; nothing was restored
                    """)
            }
        }
        let month = manifest.month
        let partition = UsageArchiveManifest.partition(of: month)
        try db.transaction {
            try db.execute("SELECT pg_advisory_xact_lock(hashtext(\(UsageIngester.closingLock)))")
            try db.execute("SELECT pg_advisory_xact_lock(hashtext(\(UsagePartitions.lock)))")
            guard let recorded = try db.execute(
                "SELECT manifest_sha256, location FROM archived_usage_months WHERE month = \(month.firstDay)"
            ).first else {
                if try UsagePartitions(db).months().contains(month) {
                    throw UsageArchiveError(.state, "\(month) is not archived: its raw events are in the database (\(partition))")
                }
                throw UsageArchiveError(.state, "\(month) is not recorded as archived in this database: nothing to restore it into")
            }
            let (recordedSHA256, location) = (try recorded.decode(0, as: String.self), try recorded.decode(1, as: String.self))
            guard recordedSHA256 == manifestSHA256 else {
                throw UsageArchiveError(.state, """
                    \(manifestPath) is not the archive recorded for \(month) (recorded: MANIFEST SHA-256 \(recordedSHA256), \
                    in \(location); this one: \(manifestSHA256))
                    """)
            }
            try db.execute("DELETE FROM archived_usage_months WHERE month = \(month.firstDay)")
            try db.execute("SELECT ensure_usage_partition(\(month.firstDay))")
            let loaded = try db.copyIn("COPY \(identifier: partition) (\(identifiers: manifest.columns)) FROM STDIN") { writer in
                try Self.check(manifest, in: folder) { piece in try writer.append(encoded: piece) }
            }
            let stored = try Self.totals(db, partition: partition)
            guard Int64(loaded) == manifest.totals.events, stored == manifest.totals else {
                throw UsageArchiveError(.mismatch, """
                    \(month) restored \(stored) where the archive says \(manifest.totals): nothing was restored
                    """)
            }
            try AuditStore.record(
                audit, .usageRestore, target: month.description,
                details: ["events": String(manifest.totals.events), "location": folder, "manifest_sha256": manifestSHA256], on: db)
        }
        return Outcome(manifest: manifest, directory: folder, manifestSHA256: manifestSHA256, graceWaived: false)
    }

    // MARK: Shared

    /// Count and token sums of a partition (or any table of usage events).
    static func totals(_ db: PostgresConnection, partition: String) throws -> UsageArchiveManifest.Totals {
        let rows = try db.execute(
            """
            SELECT count(*)::bigint, coalesce(sum(input_tokens), 0)::bigint, coalesce(sum(cached_input_tokens), 0)::bigint,
                   coalesce(sum(output_tokens), 0)::bigint
            FROM \(identifier: partition)
            """)
        let row = rows[0]
        return UsageArchiveManifest.Totals(
            events: try row.decode(0, as: Int64.self), input: try row.decode(1, as: Int64.self),
            cachedInput: try row.decode(2, as: Int64.self), output: try row.decode(3, as: Int64.self))
    }

    /// Decompresses each file of `manifest` in `folder`, handing its content
    /// to `loading`, and checks it against the manifest: size, SHA-256, rows
    /// (lines). Errors name the file.
    static func check(_ manifest: UsageArchiveManifest, in folder: String, loading: (UnsafeRawBufferPointer) throws -> Void) throws {
        for file in manifest.files {
            let path = folder + "/" + file.name
            var rows: Int64 = 0
            let (bytes, sha256) = try GzipFileReader.inflate(path: path) { piece in
                rows += Self.lines(in: piece)
                try loading(piece)
            }
            guard bytes == file.bytes, sha256 == file.sha256 else {
                throw UsageArchiveError(.corrupt, """
                    \(path) changed while it was read (\(bytes) bytes, SHA-256 \(sha256); the manifest says \(file.bytes) bytes, \
                    \(file.sha256))
                    """)
            }
            guard rows == file.rows else {
                throw UsageArchiveError(.corrupt, "\(path) holds \(rows) rows; the manifest says \(file.rows)")
            }
        }
    }

    /// Newlines in `bytes`: rows of COPY text (a newline inside a value is
    /// written `\n`, so each row ends with the only raw one).
    static func lines(in bytes: UnsafeRawBufferPointer) -> Int64 {
        guard var cursor = bytes.baseAddress else { return 0 }
        let end = cursor + bytes.count
        var count: Int64 = 0
        while cursor < end, let found = memchr(cursor, 0x0A, cursor.distance(to: end)) {
            count += 1
            cursor = UnsafeRawPointer(found) + 1
        }
        return count
    }

    /// Writes a small file and fsyncs it (the manifest).
    static func writeSynced(_ bytes: [UInt8], to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw UsageArchiveError(.invalidInput, "cannot create \(path): \(GzipFileWriter.systemError())") }
        defer { _ = close(descriptor) }
        try bytes.withUnsafeBytes { chunk in try GzipFileWriter.writeAll(chunk, to: descriptor, path: path) }
        guard fsync(descriptor) == 0 else { throw UsageArchiveError(.invalidInput, "cannot sync \(path): \(GzipFileWriter.systemError())") }
    }

    /// fsyncs a folder, so that the names moved into it survive a crash.
    static func syncFolder(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw UsageArchiveError(.invalidInput, "cannot open \(path): \(GzipFileWriter.systemError())") }
        defer { _ = close(descriptor) }
        guard fsync(descriptor) == 0 else { throw UsageArchiveError(.invalidInput, "cannot sync \(path): \(GzipFileWriter.systemError())") }
    }
}
