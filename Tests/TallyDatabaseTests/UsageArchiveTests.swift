import Foundation
import Testing
import TallyCore
import TallyDatabase
import TallyPostgres
import TallyTesting

/// Issue 16, retention: raw events of a month whose invoices are issued leave
/// the database for checked, compressed files after a grace period
/// (`tally usage archive`), come back exactly (`tally usage restore`), and
/// the hourly rollup stays. Every date is fixed here (archive and restore
/// take the clock as `now:`; ingest uses ``TestClock``), none is today's.
@Suite("Usage archive and restore")
struct UsageArchiveTests {
    let setup = UsageIngestTests()
    static let september = try! BillingMonth(parsing: "2026-09")
    /// After the grace period of every month around September (November's
    /// invoices are issued on 2026-12-03 below: archivable from 2027-02-01).
    static let later = UTCTimestamp(date: try! CivilDate(parsing: "2027-03-01"), hour: 9)

    /// `count` events of September for acme and beta, in a few hours, with
    /// tags that COPY must escape (tab, backslash, newline, non-ASCII); a
    /// few events of August and October around it.
    static func events(_ count: Int) -> [String] {
        let tags = [nil, "key-a", #"tab\there"#, #"back\\slash"#, #"new\nline"#, "ünï 😀"]
        var lines: [String] = []
        for i in 0..<count {
            let day = 1 + i % 30
            let at = "2026-09-\(day < 10 ? "0" : "")\(day)T\(10 + i % 7):\(i % 6)5:00Z"
            lines.append(UsageIngestTests.event(
                "s\(i)", customer: i % 3 == 0 ? "beta" : "acme", at: at, input: 100 + i, output: i % 50, tag: tags[i % tags.count]))
        }
        lines.append(UsageIngestTests.event("a1", at: "2026-08-31T23:00:00Z"))
        lines.append(UsageIngestTests.event("o1", at: "2026-10-01T00:30:00Z"))
        return lines
    }

    func ingest(_ db: PostgresConnection, _ temp: TemporaryFiles, _ name: String, _ lines: [String]) throws -> UsageIngester.Summary {
        try temp.write(name, lines.joined(separator: "\n") + "\n")
        return try UsageIngester(db).ingest(path: temp.path(name), format: .ndjson, rejectsPath: temp.path(name + ".rejects"), now: TestClock.now)
    }

    /// An issued invoice of `period` for `customer`, as finalization leaves
    /// it (only what the archive rules read), and the month closed as a whole.
    static func issue(_ db: PostgresConnection, period: String, on day: String, customers: [String] = ["acme"]) throws {
        for customer in customers {
            try db.execute(
                """
                INSERT INTO invoices (customer_id, period, status, number, currency, issue_date, issuer, customer,
                                      lines, taxes, tag_usage, subtotal, credits_total, tax_total, total)
                VALUES (\(customer), \(period)::date, 'finalized', \("INV-A-" + customer + period), 'USD', \(day)::date, '{}', '{}',
                        '[]', '[]', '[]', 0, 0, 0, 0)
                """)
        }
        try db.execute("INSERT INTO closed_periods (month, reason) VALUES (\(period)::date, 'invoices finalized')")
    }

    /// July to November issued, each on the 3rd of the next month.
    static func issueJulyToNovember(_ db: PostgresConnection) throws {
        for (period, day) in [("2026-07-01", "2026-08-03"), ("2026-08-01", "2026-09-03"), ("2026-09-01", "2026-10-03"),
                              ("2026-10-01", "2026-11-03"), ("2026-11-01", "2026-12-03")] {
            try issue(db, period: period, on: day)
        }
    }

    /// A digest of every raw event of the month, row for row, and their count.
    static func fingerprint(_ db: PostgresConnection, _ table: String = "usage_events_2026_09") throws -> String {
        try db.scalar(
            """
            SELECT count(*) || ' ' || coalesce(md5(string_agg(e::text, E'\\n' ORDER BY customer_id, event_id)), '-')
            FROM \(identifier: table) e
            """, as: String.self)
    }

    /// A digest of the whole hourly rollup.
    static func rollup(_ db: PostgresConnection) throws -> String {
        try db.scalar(
            "SELECT count(*) || ' ' || md5(string_agg(h::text, E'\\n' ORDER BY h::text)) FROM usage_hourly h", as: String.self)
    }

    static func partitionExists(_ db: PostgresConnection, _ month: BillingMonth) throws -> Bool {
        try UsagePartitions(db).months().contains(month)
    }

    static func folder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("tally-archive-\(UUID().uuidString)").path
    }

    @Test func archiveIsRefusedUntilTheMonthsAroundItAreIssuedAndTheGraceHasPassed() async throws {
        try await setup.withSetup { pool, temp in
            try await pool.withConnection { db in
                #expect(try ingest(db, temp, "e.ndjson", Self.events(12)).accepted == 14)
                let before = try Self.fingerprint(db)
                let out = Self.folder()
                defer { try? FileManager.default.removeItem(atPath: out) }
                func refusal(now: UTCTimestamp = Self.later) -> String? {
                    do {
                        try UsageArchiver(db).archive(month: Self.september, to: out, now: now)
                        return nil
                    } catch let error as UsageArchiveError {
                        #expect(error.code == .refused, "\(error)")
                        return error.message
                    } catch {
                        Issue.record("unexpected \(error)")
                        return "\(error)"
                    }
                }
                // Nothing issued.
                var message = try #require(refusal())
                #expect(message.contains("2026-09 is not finalized as a whole"))
                #expect(message.contains("2026-11 is not finalized as a whole"))
                // September issued, but not the months around it (their events are deduplicated against its ids).
                try Self.issue(db, period: "2026-09-01", on: "2026-10-03")
                message = try #require(refusal())
                #expect(!message.contains("2026-09 is not finalized"))
                #expect(message.contains("2026-10 is not finalized as a whole (tally invoice finalize --period 2026-10): its events are checked for duplicates"))
                // Everything issued but a draft left in October.
                for (period, day) in [("2026-07-01", "2026-08-03"), ("2026-08-01", "2026-09-03"), ("2026-10-01", "2026-11-03"),
                                      ("2026-11-01", "2026-12-03")] {
                    try Self.issue(db, period: period, on: day)
                }
                try db.execute(
                    """
                    INSERT INTO invoices (customer_id, period, status, currency, issuer, customer, lines, taxes, tag_usage,
                                          subtotal, credits_total, tax_total, total)
                    VALUES ('beta', '2026-10-01', 'draft', 'USD', '{}', '{}', '[]', '[]', '[]', 0, 0, 0, 0)
                    """)
                message = try #require(refusal())
                #expect(message == "2026-09 cannot be archived yet: 2026-10 has 1 draft invoice(s): its events are checked for duplicates "
                                   + "against the ids of 2026-09 (2 months either side)")
                try db.execute("DELETE FROM invoices WHERE status = 'draft'")
                // Within the grace period: 60 days after November's invoices (2026-12-03).
                let january = UTCTimestamp(date: try CivilDate(parsing: "2027-01-31"), hour: 23)
                message = try #require(refusal(now: january))
                #expect(message.contains("2026-09 can be archived from 2027-02-01 (today is 2027-01-31): 60 days after 2026-12-03"))
                // Refused each time: nothing changed, nothing written.
                #expect(try Self.fingerprint(db) == before)
                #expect(try db.scalar("SELECT count(*)::bigint FROM archived_usage_months", as: Int.self) == 0)
                #expect(!FileManager.default.fileExists(atPath: out + "/MANIFEST"))
                #expect(((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []).isEmpty)
                // --force-grace archives within the grace period, and says so in the audit log.
                let outcome = try UsageArchiver(db).archive(
                    month: Self.september, to: out, now: january, forceGrace: true,
                    audit: AuditActor(name: "ops", role: "cli", clock: .fixed(at: january)))
                #expect(outcome.graceWaived && outcome.manifest.totals.events == 12)
                let entry = try #require(try AuditStore(db).list().last)
                #expect(entry.action == .usageArchive && entry.target == "2026-09" && entry.details["force_grace"] == "true")
                #expect(entry.details["events"] == "12" && entry.details["manifest_sha256"] == outcome.manifestSHA256)
            }
        }
    }

    /// Row for row the same events after archive and restore (a digest of
    /// every row), with the rollup untouched throughout and `tally usage
    /// verify` clean; large enough (40,000 events) to cross the compressor's
    /// and reader's buffers, with several files.
    @Test(arguments: [(12, Int64(5)), (40_000, Int64(15_000))])
    func archiveThenRestoreRoundTripsExactly(events: Int, rowsPerFile: Int64) async throws {
        try await setup.withSetup { pool, temp in
            try await pool.withConnection { db in
                #expect(try ingest(db, temp, "e.ndjson", Self.events(events)).accepted == events + 2)
                try Self.issueJulyToNovember(db)
                let before = try Self.fingerprint(db)
                let rollup = try Self.rollup(db)
                let out = Self.folder()
                defer { try? FileManager.default.removeItem(atPath: out) }
                var archiver = UsageArchiver(db)
                archiver.rowsPerFile = rowsPerFile
                let actor = AuditActor(name: "ops", role: "cli", clock: .fixed(at: Self.later))
                let archived = try archiver.archive(month: Self.september, to: out, now: Self.later, audit: actor)
                let files = (Int64(events) + rowsPerFile - 1) / rowsPerFile
                #expect(archived.manifest.files.count == Int(files))
                #expect(archived.manifest.files.map(\.name).first == "usage_events_2026_09.000.tsv.gz")
                #expect(archived.manifest.files.map(\.rows).reduce(0, +) == Int64(events))
                #expect(archived.manifest.totals.events == Int64(events))
                #expect(archived.manifest.totals.input == Int64((0..<events).reduce(0) { $0 + 100 + $1 }))
                #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted()
                        == (archived.manifest.files.map(\.name) + ["MANIFEST"]).sorted())
                // The partition is gone, the rollup stays, the month is recorded.
                #expect(try !Self.partitionExists(db, Self.september))
                #expect(try db.scalar("SELECT to_regclass('usage_events_2026_09') IS NULL", as: Bool.self))
                #expect(try Self.rollup(db) == rollup)
                #expect(try db.scalar("SELECT events FROM archived_usage_months WHERE month = '2026-09-01'", as: Int.self) == events)
                #expect(throws: UsageArchiveError.self) { try UsageVerifier(db).verify(period: Self.september) }
                #expect(throws: UsageArchiveError.self) { try archiver.archive(month: Self.september, to: Self.folder(), now: Self.later) }
                // The same manifest, byte for byte, when read back.
                let manifestText = try String(contentsOfFile: out + "/MANIFEST", encoding: .utf8)
                #expect(try UsageArchiveManifest(parsing: manifestText, path: "MANIFEST") == archived.manifest)
                #expect(manifestText.hasPrefix("tally-usage-archive 1\nmonth 2026-09\ncolumns month,customer_id,event_id,"))

                let restored = try UsageArchiver(db).restore(from: out, audit: actor)
                #expect(restored.manifest == archived.manifest && restored.manifestSHA256 == archived.manifestSHA256)
                #expect(try Self.fingerprint(db) == before)
                #expect(try Self.rollup(db) == rollup)
                #expect(try UsageVerifier(db).verify(period: Self.september).isEmpty)
                #expect(try db.scalar("SELECT count(*)::bigint FROM archived_usage_months", as: Int.self) == 0)
                #expect(try AuditStore(db).list().map(\.action) == [.usageArchive, .usageRestore])
                // Deduplication sees the month again: the same events are duplicates.
                let again = try ingest(db, temp, "again.ndjson", Array(Self.events(events).prefix(10)))
                #expect(again.duplicates == 10 && again.accepted == 0)
            }
        }
    }

    /// While a month is archived, ingest rejects its events and those whose
    /// dedupe window reaches it (too late: beyond retention); events farther
    /// away land.
    @Test func ingestRejectsEventsOfAnArchivedMonthAndItsNeighbours() async throws {
        try await setup.withSetup { pool, temp in
            try await pool.withConnection { db in
                _ = try ingest(db, temp, "e.ndjson", Self.events(6))
                try Self.issueJulyToNovember(db)
                let out = Self.folder()
                defer { try? FileManager.default.removeItem(atPath: out) }
                try UsageArchiver(db).archive(month: Self.september, to: out, now: Self.later)
                let s = try ingest(db, temp, "late.ndjson", [
                    UsageIngestTests.event("s0", customer: "beta", at: "2026-09-01T10:05:00Z", input: 100, output: 0),  // a re-send
                    UsageIngestTests.event("n1", at: "2026-11-30T23:00:00Z"),  // within two months of September
                    UsageIngestTests.event("n2", at: "2026-07-01T00:00:00Z"),
                    UsageIngestTests.event("n3", at: "2026-12-01T00:00:00Z"),  // three months after: lands
                    UsageIngestTests.event("n4", at: "2026-06-30T23:59:59Z"),  // three months before: lands
                ])
                #expect(s.accepted == 2 && s.rejected == 3 && s.duplicates == 0)
                let rejects = try UsageIngestTests.rejects(temp.path("late.ndjson"))
                #expect(rejects.map(\.line) == [1, 2, 3])
                #expect(rejects[0].reason.contains("falls in 2026-09, whose raw events are archived: too late (beyond retention)"))
                #expect(rejects[1].reason.contains("is within 2 months of 2026-09, whose raw events are archived"))
                #expect(try !Self.partitionExists(db, Self.september))
                // The partition cannot be created again by hand either.
                #expect(throws: PostgresError.self) { try db.execute("SELECT ensure_usage_partition('2026-09-01')") }
            }
        }
    }

    /// One byte flipped in one file: restore names that file and writes
    /// nothing; an edited manifest is refused too.
    @Test func aDamagedArchiveIsRefusedAndNothingIsRestored() async throws {
        try await setup.withSetup { pool, temp in
            try await pool.withConnection { db in
                _ = try ingest(db, temp, "e.ndjson", Self.events(12))
                try Self.issueJulyToNovember(db)
                let out = Self.folder()
                defer { try? FileManager.default.removeItem(atPath: out) }
                var archiver = UsageArchiver(db)
                archiver.rowsPerFile = 5
                let archived = try archiver.archive(month: Self.september, to: out, now: Self.later)
                let damaged = out + "/" + archived.manifest.files[1].name
                let original = try Data(contentsOf: URL(fileURLWithPath: damaged))
                var bytes = original
                bytes[bytes.count / 2] ^= 0x01
                try bytes.write(to: URL(fileURLWithPath: damaged))
                do {
                    try UsageArchiver(db).restore(from: out)
                    Issue.record("a damaged archive was restored")
                } catch let error as UsageArchiveError {
                    #expect(error.code == .corrupt)
                    #expect(error.message.hasPrefix(damaged + " does not match the manifest"))
                    #expect(error.message.hasSuffix("nothing was restored"))
                }
                #expect(try !Self.partitionExists(db, Self.september))
                #expect(try db.scalar("SELECT count(*)::bigint FROM archived_usage_months", as: Int.self) == 1)
                #expect(try AuditStore(db).list().isEmpty)
                // The file put back, a manifest edited (one event fewer): refused before the database too.
                try original.write(to: URL(fileURLWithPath: damaged))
                let manifest = try String(contentsOfFile: out + "/MANIFEST", encoding: .utf8)
                try manifest.replacingOccurrences(of: "\nevents 12\n", with: "\nevents 11\n")
                    .write(toFile: out + "/MANIFEST", atomically: true, encoding: .utf8)
                #expect(throws: UsageArchiveError.self) { try UsageArchiver(db).restore(from: out) }
                #expect(try !Self.partitionExists(db, Self.september))
                // The true manifest back: it restores.
                try manifest.write(toFile: out + "/MANIFEST", atomically: true, encoding: .utf8)
                #expect(try UsageArchiver(db).restore(from: out).manifest.totals.events == 12)
                #expect(try UsageVerifier(db).verify(period: Self.september).isEmpty)
            }
        }
    }

    /// The archive folder must not hold an archive; a folder that does is
    /// refused before anything is read or dropped.
    @Test func anArchiveIsNeverWrittenOverAnother() async throws {
        try await setup.withSetup { pool, temp in
            try await pool.withConnection { db in
                _ = try ingest(db, temp, "e.ndjson", Self.events(3))
                try Self.issueJulyToNovember(db)
                let out = Self.folder()
                defer { try? FileManager.default.removeItem(atPath: out) }
                try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
                try Data("x".utf8).write(to: URL(fileURLWithPath: out + "/MANIFEST"))
                #expect(throws: UsageArchiveError.self) { try UsageArchiver(db).archive(month: Self.september, to: out, now: Self.later) }
                #expect(try Self.partitionExists(db, Self.september))
            }
        }
    }

    /// Partitions of a month and the next ones are created ahead, once;
    /// an archived month is left alone.
    @Test func partitionsAheadAreCreatedOnceAndArchivedMonthsAreNot() async throws {
        try await setup.withSetup { pool, temp in
            try await pool.withConnection { db in
                let partitions = UsagePartitions(db)
                let january = try BillingMonth(parsing: "2027-01")
                let first = try partitions.ensure(from: january)
                #expect(first.map { $0.month.description } == ["2027-01", "2027-02", "2027-03", "2027-04"])
                #expect(first.allSatisfy { $0.state == .created })
                #expect(try partitions.ensure(from: january).allSatisfy { $0.state == .existed })
                #expect(try partitions.months().filter { $0 >= january }.count == 4)
                _ = try ingest(db, temp, "e.ndjson", Self.events(2))
                try Self.issueJulyToNovember(db)
                let out = Self.folder()
                defer { try? FileManager.default.removeItem(atPath: out) }
                try UsageArchiver(db).archive(month: Self.september, to: out, now: Self.later)
                let around = try partitions.ensure(from: try BillingMonth(parsing: "2026-08"), ahead: 2)
                #expect(around.map { "\($0.month) \($0.state.rawValue)" } == ["2026-08 existed", "2026-09 archived", "2026-10 existed"])
                #expect(try !Self.partitionExists(db, Self.september))
            }
        }
    }
}
