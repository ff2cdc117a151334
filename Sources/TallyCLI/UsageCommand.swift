import ArgumentParser
import Foundation
import TallyCore
import TallyDatabase
import TallyDemo
import TallyPostgres
import TallyPresentation

struct UsageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "Usage events: ingest them, look at a customer's month, archive old months.",
        subcommands: [Ingest.self, Show.self, Verify.self, Generate.self, Archive.self, Restore.self, Partitions.self]
    )

    struct Ingest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ingest usage events from NDJSON or CSV (files, or - for standard input).",
            discussion: """
                One event per line (NDJSON) or row (CSV with a header), fields: id, customer, \
                model, timestamp (RFC 3339 with zone), input_tokens (uncached input), \
                cached_input_tokens, output_tokens, site, and optionally tag (API key or \
                project). The id is the idempotency key per customer: a re-sent event is \
                counted as a duplicate and not billed twice, whatever month its timestamp \
                falls in (within two months either side); the same id with other content is \
                rejected ("duplicate id with different content").

                Good events land even when others are rejected; every rejected event goes to \
                the rejects file with its line number and reason. Each chunk of --chunk-events \
                events is one transaction: a crash loses at most the open chunk, and running \
                the same command again finishes the file, counting nothing twice. Several \
                files are ingested one after the other, each with its own summary and \
                rejects file. On a terminal, progress goes to stderr. Events of a month whose invoices are \
                finalized are kept and marked late, for the next open invoice. An event's \
                timestamp must lie within 400 days before now and 5 minutes after it \
                (TALLY_NOW sets now). Keys Tally does not know are ignored and reported \
                (key, events, first line) on stderr; --strict rejects such events.

                EXIT STATUS
                  0  every event accepted (or a duplicate)
                  3  some events rejected (see the rejects file); the others landed
                  1  a file could not be read or the database failed: its open chunk was \
                     not loaded (earlier chunks and files were; run the command again)
                """)

        @Argument(help: "NDJSON or CSV files, or - for standard input.")
        var files: [String]

        @Option(help: "ndjson or csv (default: from the file name; ndjson for -).")
        var format: String?

        @Option(help: "Where rejected events go (default: FILE.rejects.ndjson, or rejects.ndjson for -; one file only).")
        var rejects: String?

        @Option(help: "Events per transaction: a crash loses at most this many.")
        var chunkEvents = 1_000_000

        @Flag(help: "Reject events with keys (CSV: columns) Tally does not know, instead of ignoring the keys.")
        var strict = false

        func validate() throws {
            guard !files.isEmpty else { throw ValidationError("give at least one file, or - for standard input") }
            guard chunkEvents > 0 else { throw ValidationError("--chunk-events must be 1 or more, got \(chunkEvents)") }
            guard rejects == nil || files.count == 1 else { throw ValidationError("--rejects names one file: give one input file with it") }
            guard files.filter({ $0 == "-" }).count <= 1 else { throw ValidationError("standard input (-) can be read once") }
        }

        func run() throws {
            let db = try DatabaseTarget().migratedConnection()
            // The coming months' partitions, so that no chunk waits on DDL at a month's start.
            try UsagePartitions(db).ensure(from: TallyClock.current.currentMonth)
            var total = UsageIngester.Summary()
            var totalMilliseconds: Int64 = 0
            var rejectFiles: [String] = []
            for file in files {
                let (s, milliseconds, rejectsPath) = try ingest(file, into: db)
                total.lines += s.lines
                total.accepted += s.accepted
                total.late += s.late
                total.duplicates += s.duplicates
                total.rejected += s.rejected
                totalMilliseconds += milliseconds
                if s.rejected > 0 { rejectFiles.append(rejectsPath) }
                print((files.count > 1 ? "\(file): " : "") + Self.line(s, milliseconds: milliseconds))
            }
            if files.count > 1 { print("total: " + Self.line(total, milliseconds: totalMilliseconds)) }
            if !rejectFiles.isEmpty {
                for path in rejectFiles { print("rejected events and reasons: \(path)") }
                throw ExitCode(3)
            }
        }

        static func line(_ s: UsageIngester.Summary, milliseconds: Int64) -> String {
            "\(s.lines) events: \(s.accepted) accepted (\(s.late) late), \(s.duplicates) duplicate, \(s.rejected) rejected in \(milliseconds) ms (\(Int64(s.lines) * 1000 / milliseconds) events/s)"
        }

        /// One file: its summary, how long it took and where its rejects went.
        private func ingest(_ file: String, into db: PostgresConnection) throws -> (UsageIngester.Summary, Int64, String) {
            let format: UsageIngester.Format
            if let given = self.format {
                guard let parsed = UsageIngester.Format(rawValue: given) else { throw ValidationError("--format must be ndjson or csv") }
                format = parsed
            } else {
                format = file.hasSuffix(".csv") ? .csv : .ndjson
            }
            let rejectsPath = rejects ?? (file == "-" ? "rejects.ndjson" : file + ".rejects.ndjson")
            let clock = ContinuousClock()
            let start = clock.now
            var ingester = UsageIngester(db)
            ingester.strict = strict
            ingester.chunkEvents = chunkEvents
            let display = IngestProgress(label: file == "-" ? "stdin" : file, clock: clock, start: start)
            ingester.onProgress = { display.show($0) }
            let s = try ingester.ingest(path: file, format: format, rejectsPath: rejectsPath)
            display.finish()
            for unknown in s.unknownKeys {
                Terminal.note(
                    "warning: unknown key \(InvoiceJSON.quoted(unknown.key)) in \(unknown.events) event(s), first on line \(unknown.firstLine): "
                        + (strict ? "those events are rejected (--strict)" : "ignored, not billed (a typo? --strict rejects such events)"))
            }
            if s.unlistedUnknownKeys > 0 {
                Terminal.note("warning: \(s.unlistedUnknownKeys) more occurrence(s) of unknown keys beyond the \(s.unknownKeys.count) listed")
            }
            return (s, max(1, (clock.now - start).milliseconds), rejectsPath)
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute a month's hourly rollup from its raw events; list every difference, exit 1 if any.",
            discussion: """
                Invoices and reports read the hourly rollup; this proves it still adds up to the \
                stored events: for every (customer, hour, model, site, tag, billing month) of the \
                month, the token sums and event count of the rollup against those of the raw \
                events. Each difference is a row (a side missing is shown as -).

                EXIT STATUS
                  0  the rollup matches the raw events
                  1  differences found (listed), or the check could not run
                """)
        @Option(help: "The month, YYYY-MM.") var period: String
        @Option(help: "table, csv or json.") var format: OutputFormat = .table

        func run() throws {
            let month = try BillingMonth(parsing: period)
            let db = try DatabaseTarget().migratedConnection()
            let differences = try UsageVerifier(db).verify(period: month)
            let sides = ["input_tokens", "cached_input_tokens", "output_tokens", "events"]
            let header = ["customer", "hour", "model", "site", "tag", "billing_month"]
                + sides.map { "rollup_" + $0 } + sides.map { "raw_" + $0 }
            func values(_ sums: UsageVerifier.Sums?) -> [String] {
                guard let sums else { return Array(repeating: "-", count: 4) }
                return [sums.input, sums.cachedInput, sums.output, sums.events].map(String.init)
            }
            let rows = differences.map { d in
                [d.customer, d.hour.description, d.model, d.site, d.tag, d.billingMonth.description] + values(d.rollup) + values(d.events)
            }
            switch format {
            case .table:
                if rows.isEmpty {
                    print("\(month): the hourly rollup matches the raw events")
                } else {
                    print(TabularOutput(header: header, rows: rows, textColumns: Set(0..<6)).table())
                    print("\(month): \(rows.count) difference(s) between the hourly rollup and the raw events")
                }
            case .csv:
                print(try TabularOutput(header: header, rows: rows, textColumns: Set(0..<6)).csv(), terminator: "")
            case .json:
                let document: JSONValue = .object([
                    "period": .text(month.description),
                    "differences": .list(rows.map { row in
                        .object(Dictionary(uniqueKeysWithValues: zip(header, row).enumerated().map { i, pair in
                            (pair.0, i < 6 ? JSONValue.text(pair.1) : Int64(pair.1).map(JSONValue.integer) ?? .null)
                        }))
                    }),
                ])
                print(try TabularOutput.encode(document))
            }
            if !differences.isEmpty { throw ExitCode(1) }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A customer's usage in a month, grouped.")
        @Option var customer: String
        @Option(help: "The month, YYYY-MM.") var period: String
        @Option(help: "model, tag, day or site.") var by: String = "model"
        @Option(help: "table, csv or json.") var format: OutputFormat = .table

        func run() throws {
            let month = try BillingMonth(parsing: period)
            guard let grouping = UsageStore.Grouping(rawValue: by) else { throw ValidationError("--by must be model, tag, day or site") }
            let db = try DatabaseTarget().migratedConnection()
            _ = try KnownNames.customer(customer, in: db)
            let rows = try UsageStore(db).summary(customer: customer, month: month, by: grouping)
            // Thousands separators for people only: CSV and JSON carry plain integers.
            try UsagePresentation.table(rows, by: grouping, grouped: format == .table)
                .print(format, keys: UsagePresentation.jsonKeys(by: grouping), integerColumns: UsagePresentation.integerColumns)
        }
    }
}

extension UsageCommand {
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write realistic usage events for the loaded customers and priced models (demo and benchmark data).")
        @Option(help: "The month, YYYY-MM.") var month: String
        @Option(help: "How many events.") var events: Int
        @Option(help: "The NDJSON file to write.") var out: String
        @Option(help: "Also write the same events as CSV here.") var csv: String?
        @Option(help: "Random seed.") var seed: UInt64 = 7
        @Option(help: "Percent of events re-sent as duplicates.") var duplicatePercent = 1
        @Option(help: "Days of the month the events fall in (default: all).") var days: Int?
        @Option(help: "Event ids are this prefix and a number from 0 (give files ingested together prefixes of their own).")
        var idPrefix = "ev-"
        @Option(help: ArgumentHelp("Events a second: events in time order, as the serving fleet sends them (instead of spread over --days).",
                                   valueName: "n"))
        var perSecond: Int?
        @Option(help: ArgumentHelp("With --per-second: the first event's instant (default: the month's start).", valueName: "instant"))
        var from: String?

        func validate() throws {
            guard events >= 0 else { throw ValidationError("--events must be 0 or more, got \(events)") }
            guard (0...100).contains(duplicatePercent) else { throw ValidationError("--duplicate-percent must be 0 to 100, got \(duplicatePercent)") }
            if let days, !(1...31).contains(days) { throw ValidationError("--days must be 1 to 31, got \(days)") }
            guard idPrefix.utf8.count <= 64, idPrefix.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x2C && $0 != 0x5C }) else {
                throw ValidationError("--id-prefix must be at most 64 printable ASCII characters without spaces, quotes, commas or backslashes, got '\(idPrefix)'")
            }
            if let perSecond {
                guard perSecond > 0 else { throw ValidationError("--per-second must be 1 or more, got \(perSecond)") }
                guard days == nil else { throw ValidationError("--per-second and --days exclude each other (time order or spread over days)") }
            } else if from != nil {
                throw ValidationError("--from needs --per-second")
            }
        }

        func run() throws {
            let db = try DatabaseTarget().migratedConnection()
            let customers = try CustomerStore(db).all().map(\.id)
            let models = try db.execute("SELECT DISTINCT model FROM rate_card_prices ORDER BY model").map { try $0.decode(0, as: String.self) }
            let sites = try db.execute("SELECT id FROM sites ORDER BY id").map { try $0.decode(0, as: String.self) }
            guard !customers.isEmpty, !models.isEmpty else { throw ValidationError("load rate cards and customers first") }
            var generator = UsageGenerator(month: try BillingMonth(parsing: month), events: events, customers: customers, models: models,
                                           sites: sites.isEmpty ? ["us-ashburn-1"] : sites)
            generator.seed = seed
            generator.duplicatePercent = duplicatePercent
            generator.days = days
            generator.idPrefix = idPrefix
            generator.perSecond = perSecond
            if let from {
                do { generator.from = try UTCTimestamp(parsing: from) } catch {
                    throw ValidationError("--from: \(error) (got '\(from)')")
                }
            }
            if let first = generator.from, !(generator.month.start..<generator.month.end).contains(first) {
                throw ValidationError("--from \(from ?? "") is not in \(month)")
            }
            if let end = generator.end, end > generator.month.end {
                throw ValidationError("\(events) events at \(perSecond ?? 0) a second run past the end of \(month) (to \(end))")
            }
            let lines = try generator.write(ndjson: URL(fileURLWithPath: out), csv: csv.map { URL(fileURLWithPath: $0) })
            print("\(lines) lines written to \(out)")
        }
    }
}

struct RateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rate",
        abstract: "Preview a customer's priced lines for a month (nothing is stored).",
        discussion: """
            Prices the month's hourly usage with the customer's card: per model, token \
            class, card version and tier band, each amount rounded once. A used model \
            the card does not price is an error listing every gap.
            """)
    @Option var customer: String
    @Option(help: "The month, YYYY-MM.") var period: String
    @Option(help: "table, csv or json.") var format: OutputFormat = .table

    func run() throws {
        let month = try BillingMonth(parsing: period)
        let db = try DatabaseTarget().migratedConnection()
        let customer = try KnownNames.customer(self.customer, in: db)
        let book = PriceBook(cards: try RateCardStore(db).cards())
        let lines = try Rater(book: book).rate(usage: try UsageStore(db).hours(customer: customer.id, month: month),
                                              card: customer.card, currency: customer.currency)
        let grouped = format == .table
        let rows = lines.map { line in
            [line.model, line.tokenClass.rawValue, line.source.description, line.bandLabel ?? "",
             grouped ? Display.group(String(line.quantity)) : String(line.quantity),
             line.unitPrice.description,
             Display.amount(line.amount.amount, customer.currency, grouped: grouped)]
        }
        let subtotal = try lines.map(\.amount).sum(in: customer.currency)
        let output = TabularOutput(header: ["model", "class", "card version", "band", "tokens", "per 1M", "amount"], rows: rows, textColumns: [0, 1, 2, 3])
        let subtotalText = Display.amount(subtotal.amount, customer.currency, grouped: grouped)
        switch format {
        case .table:
            print("\(customer.name) (\(customer.id)), \(month), card \(customer.card), \(customer.currency)\n")
            var table = output
            table.rows.append(["SUBTOTAL", "", "", "", "", "", subtotalText])
            print(table.table())
        case .csv:
            // One row per priced line, like the invoice CSV's lines; the subtotal is their sum.
            print(try output.csv(), terminator: "")
        case .json:
            let keys = ["model", "token_class", "card_version", "band", "quantity", "unit_price_per_million", "amount"]
            let document: JSONValue = .object([
                "customer": .text(customer.id), "period": .text(month.description), "card": .text(customer.card),
                "currency": .text(customer.currency.code), "subtotal": .text(subtotalText),
                "lines": .list(rows.map { row -> JSONValue in
                    .object(Dictionary(uniqueKeysWithValues: zip(keys, row).enumerated().map { i, pair in
                        (pair.0, i == 4 ? JSONValue.integer(Int64(pair.1)!) : JSONValue.text(pair.1))
                    }))
                }),
            ])
            print(try TabularOutput.encode(document))
        }
    }
}

extension UsageCommand {
    struct Archive: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a month's raw usage events to compressed files and drop them from the database (the hourly rollup stays).",
            discussion: """
                Only when every month that may still need them is done with them: the month and \
                every month that bills late usage of it, and the two months either side of it \
                (whose events are checked for duplicates against its ids), are finalized as a \
                whole (tally invoice finalize --period M) with no draft left, and \
                \(UsageRetention.gracePeriodDays) days have passed since the last of their \
                invoices was issued (--force-grace waives only the waiting). Its hourly rollup must \
                match its events (tally usage verify).

                Writes DIR/usage_events_YYYY_MM.NNN.tsv.gz (gzip, COPY text rows sorted by \
                customer and event id, --rows-per-file rows each) and DIR/MANIFEST (month, \
                columns, totals, each file's rows, size and SHA-256), fsynced and read back, then \
                drops the month's partition in one transaction after checking its count and \
                totals against the manifest, records the month as archived and writes an audit \
                entry (usage.archive). Afterwards, ingest rejects events of that month and of the \
                two months either side as beyond retention. tally usage restore --from DIR \
                brings the events back.

                EXIT STATUS
                  0  archived
                  2  the folder cannot be used (it holds an archive already, cannot be written)
                  3  refused by the rules above (nothing changed)
                """)
        @Option(help: "The month, YYYY-MM.") var month: String
        @Option(help: "The archive folder (created if missing; must not hold an archive).") var out: String
        @Option(help: "Rows per file.") var rowsPerFile: Int64 = UsageArchiver.defaultRowsPerFile
        @Flag(help: "Archive within the grace period after the last issue date (every other rule still holds).")
        var forceGrace = false

        func validate() throws {
            guard rowsPerFile > 0 else { throw ValidationError("--rows-per-file must be 1 or more, got \(rowsPerFile)") }
        }

        func run() throws {
            let month = try BillingMonth(parsing: self.month)
            let db = try DatabaseTarget().migratedConnection()
            var archiver = UsageArchiver(db)
            archiver.rowsPerFile = rowsPerFile
            let outcome = try archiver.archive(month: month, to: out, forceGrace: forceGrace, audit: .commandLine)
            let manifest = outcome.manifest
            let bytes = manifest.files.reduce(Int64(0)) { $0 + $1.bytes }
            print("""
                \(month): \(manifest.totals.events) events archived to \(outcome.directory) (\(manifest.files.count) file(s), \(bytes) bytes, \
                MANIFEST SHA-256 \(outcome.manifestSHA256))\(outcome.graceWaived ? ", within the grace period (--force-grace)" : ""); \
                partition \(UsageArchiveManifest.partition(of: month)) dropped, hourly rollup kept
                """)
        }
    }

    struct Restore: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bring back the raw usage events of an archived month (tally usage archive).",
            discussion: """
                Checks every file's size and SHA-256 against DIR/MANIFEST before touching the \
                database (naming the file that differs), then in one transaction: the month must \
                be recorded as archived with this very manifest; its partition is created again, \
                the rows are copied back, each file's row count and the month's event count and \
                token totals are checked, the month is no longer archived, and an audit entry is \
                written (usage.restore). Any difference rolls everything back. Afterwards tally \
                usage verify --period M compares the rollup with the events again.

                EXIT STATUS
                  0  restored
                  2  the archive is damaged or not an archive (nothing restored)
                  3  the month is not archived, or archived with another manifest
                """)
        @Option(help: "The archive folder (holding MANIFEST).") var from: String

        func run() throws {
            let db = try DatabaseTarget().migratedConnection()
            let outcome = try UsageArchiver(db).restore(from: from, audit: .commandLine)
            let manifest = outcome.manifest
            print("""
                \(manifest.month): \(manifest.totals.events) events restored from \(outcome.directory) into \
                \(UsageArchiveManifest.partition(of: manifest.month)) (checksums, row counts and totals match)
                """)
        }
    }

    struct Partitions: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the raw usage partitions of the current month and the next ones ahead of time.",
            discussion: """
                Ingest creates a month's partition when its first event arrives; creating it \
                earlier keeps that DDL (which locks the events table) away from the first busy \
                minutes of a month. tally migrate and tally usage ingest do the same with the \
                default --ahead. Idempotent; archived months are not created again. The current \
                month is the clock's (TALLY_NOW when set).
                """)
        @Option(help: "Months after the current one.") var ahead = UsagePartitions.defaultAhead

        func validate() throws {
            guard (0...120).contains(ahead) else { throw ValidationError("--ahead must be 0 to 120, got \(ahead)") }
        }

        func run() throws {
            let db = try DatabaseTarget().migratedConnection()
            for (month, state) in try UsagePartitions(db).ensure(from: TallyClock.current.currentMonth, ahead: ahead) {
                let what: String
                switch state {
                case .created: what = "created"
                case .existed: what = "exists"
                case .archived: what = "archived (not created: tally usage restore brings it back)"
                }
                print("\(UsageArchiveManifest.partition(of: month)) \(what)")
            }
        }
    }
}
