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
        abstract: "Usage events: ingest them, look at a customer's month.",
        subcommands: [Ingest.self, Show.self, Generate.self]
    )

    struct Ingest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ingest usage events from NDJSON or CSV (a file, or - for standard input).",
            discussion: """
                One event per line (NDJSON) or row (CSV with a header), fields: id, customer, \
                model, timestamp (RFC 3339 with zone), input_tokens (uncached input), \
                cached_input_tokens, output_tokens, site, and optionally tag (API key or \
                project). The id is the idempotency key per customer: a re-sent event is \
                counted as a duplicate and not billed twice.

                Good events land even when others are rejected; every rejected event goes to \
                the rejects file with its line number and reason. Nothing is half-written: \
                the whole input is one transaction. Events of a month whose invoices are \
                finalized are kept and marked late, for the next open invoice. An event's \
                timestamp must lie within 400 days before now and 5 minutes after it \
                (TALLY_NOW sets now). Keys Tally does not know are ignored and reported \
                (key, events, first line) on stderr; --strict rejects such events.

                EXIT STATUS
                  0  every event accepted (or a duplicate)
                  3  some events rejected (see the rejects file); the others landed
                  1  nothing was loaded (bad input file, database error)
                """)

        @Argument(help: "An NDJSON or CSV file, or - for standard input.")
        var file: String

        @Option(help: "ndjson or csv (default: from the file name; ndjson for -).")
        var format: String?

        @Option(help: "Where rejected events go (default: FILE.rejects.ndjson, or rejects.ndjson for -).")
        var rejects: String?

        @Flag(help: "Reject events with keys (CSV: columns) Tally does not know, instead of ignoring the keys.")
        var strict = false

        func run() throws {
            let format: UsageIngester.Format
            if let given = self.format {
                guard let parsed = UsageIngester.Format(rawValue: given) else { throw ValidationError("--format must be ndjson or csv") }
                format = parsed
            } else {
                format = file.hasSuffix(".csv") ? .csv : .ndjson
            }
            let rejectsPath = rejects ?? (file == "-" ? "rejects.ndjson" : file + ".rejects.ndjson")
            let db = try DatabaseTarget().migratedConnection()
            let clock = ContinuousClock()
            let start = clock.now
            var ingester = UsageIngester(db)
            ingester.strict = strict
            let s = try ingester.ingest(path: file, format: format, rejectsPath: rejectsPath) { lines in
                Terminal.note("… \(lines) lines read")
            }
            for unknown in s.unknownKeys {
                Terminal.note(
                    "warning: unknown key \(InvoiceJSON.quoted(unknown.key)) in \(unknown.events) event(s), first on line \(unknown.firstLine): "
                        + (strict ? "those events are rejected (--strict)" : "ignored, not billed (a typo? --strict rejects such events)"))
            }
            if s.unlistedUnknownKeys > 0 {
                Terminal.note("warning: \(s.unlistedUnknownKeys) more occurrence(s) of unknown keys beyond the \(s.unknownKeys.count) listed")
            }
            let milliseconds = max(1, (clock.now - start).milliseconds)
            print("\(s.lines) events: \(s.accepted) accepted (\(s.late) late), \(s.duplicates) duplicate, \(s.rejected) rejected in \(milliseconds) ms (\(Int64(s.lines) * 1000 / milliseconds) events/s)")
            if s.rejected > 0 {
                print("rejected events and reasons: \(rejectsPath)")
                throw ExitCode(3)
            }
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

        func validate() throws {
            guard events >= 0 else { throw ValidationError("--events must be 0 or more, got \(events)") }
            guard (0...100).contains(duplicatePercent) else { throw ValidationError("--duplicate-percent must be 0 to 100, got \(duplicatePercent)") }
            if let days, !(1...31).contains(days) { throw ValidationError("--days must be 1 to 31, got \(days)") }
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
