import ArgumentParser
import Foundation
import TallyCore
import TallyDatabase
import TallyPostgres
import TallyPresentation

struct InvoiceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invoice",
        abstract: "Invoices for finance: run drafts, finalize, show, export, void, credit, mark paid.",
        discussion: """
            A month's invoices go draft -> finalized -> paid | void. `run` builds the drafts \
            (again and again, with the same result); `finalize` numbers and freezes them \
            (INV-YYYY-NNNNNN, gapless per issuer and year); a correction is a credit note \
            (CN-YYYY-NNNNNN). Invoices are named by number, or drafts by customer/YYYY-MM. \
            Rules and formats: docs/invoices.md.
            """,
        subcommands: [Run.self, Finalize.self, Show.self, Export.self, Void.self, CreditNoteCommand.self, MarkPaid.self, Check.self])

    /// The issuer from `config/issuer.yaml` (or `$TALLY_CONFIG/issuer.yaml`),
    /// saying where it looked when the file is missing.
    static func issuer() throws -> Issuer {
        try ProjectPaths.discover().issuer()
    }

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build or rebuild the draft invoices of a month.",
            discussion: """
                Every customer with usage billed in the month (including late usage of \
                earlier months) or with credits that can serve it gets a draft. Before \
                writing anything, every used model is checked to be priced for every \
                customer and every customer to have a tax rate: all gaps are listed at \
                once and nothing is written. Issued invoices are never touched. Running \
                it again gives identical drafts.
                """)
        @Option(help: "The month, YYYY-MM.") var period: String
        @Option(help: "Only this customer.") var customer: String?

        func run() throws {
            let month = try BillingMonth(parsing: period)
            let db = try DatabaseTarget().migratedConnection()
            let bar = ProgressBar(label: "pricing customers")
            let s = try InvoiceRun(db, issuer: try InvoiceCommand.issuer()).run(period: month, customer: customer) { done, total in
                bar.show(done, of: total)
            }
            bar.finish()
            print("\(month): " + Self.describe(s).joined(separator: "\n"))
        }

        /// The run's summary for people: counts, then totals per currency.
        static func describe(_ s: InvoiceRun.Summary) -> [String] {
            ["\(s.customers) customer(s), \(s.drafts) draft(s) written, \(s.skippedIssued) issued invoice(s) left as they are"]
                + s.totals.sorted(by: { $0.key < $1.key }).map { currency, figures in
                    let f = figures.map { Display.amount($0.amount, currency, grouped: true) }
                    return "  \(currency): subtotal \(f[0]), credits \(f[1]), tax \(f[2]), total \(f[3])"
                }
        }
    }

    struct Finalize: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Number and freeze the drafts of a month (or of one customer).",
            discussion: """
                Rebuilds the drafts first (so they include every event ingested so far), \
                then gives each a number in customer order and freezes it, in one \
                transaction: two finalize commands at once, or one killed half-way, \
                leave no gap and no duplicate. The database refuses any later change to \
                a finalized invoice. Finalizing the whole month also closes it for \
                supply changes; events that arrive later are billed as late usage on \
                the next open invoice.
                """)
        @Option(help: "The month, YYYY-MM.") var period: String
        @Option(help: "Only this customer's invoice.") var customer: String?
        @Option(help: "Issue date, YYYY-MM-DD (default: today, UTC): on or after the first day after the period, and not before the last invoice of its number series.")
        var date: String?

        func run() throws {
            let month = try BillingMonth(parsing: period)
            let issueDate = try dayOrToday(date)
            let db = try DatabaseTarget().migratedConnection()
            let numbers = try InvoiceStore(db).finalize(period: month, customer: customer, issuer: try InvoiceCommand.issuer(), issueDate: issueDate,
                                                         audit: .commandLine)
            if let first = numbers.first, let last = numbers.last {
                print("\(numbers.count) invoice(s) finalized: \(first) … \(last)")
            } else {
                print("no draft to finalize for \(month)")
            }
        }
    }

    typealias Format = InvoiceDocumentFormat

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show an invoice or credit note.",
            discussion: """
                NAME is an invoice number (INV-2026-000001), a draft (customer/YYYY-MM) or a \
                credit note number (CN-2026-000001). Formats: text (default), json (stable, \
                docs/invoice-formats.md), html (printable), csv (accounting), cii (EN 16931 \
                e-invoice, UN/CEFACT CII; issued documents only).
                """)
        @Argument(help: "Invoice number, customer/YYYY-MM, or credit note number.") var name: String
        @Option(help: "text, json, html, csv or cii.") var format: Format = .text

        func run() throws {
            let db = try DatabaseTarget().migratedConnection()
            let store = InvoiceStore(db)
            if name.hasPrefix("CN-") {
                print(try InvoiceDocuments.render(try store.creditNote(number: name), format), terminator: "")
            } else {
                print(try InvoiceDocuments.render(try store.invoice(named: name), format), terminator: "")
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a month's issued invoices (and their credit notes) to files.",
            discussion: """
                csv: one file, invoices-YYYY-MM.csv, one row per line plus credit, tax and \
                total rows, amounts as exact decimals. cii: one EN 16931 XML file per \
                invoice and credit note. html, json: one file per document. Drafts are \
                exported only with --include-drafts (and never as cii).
                """)
        @Option(help: "The month, YYYY-MM.") var period: String
        @Option(help: "csv, cii, html or json.") var format: Format = .csv
        @Option(help: "Output folder (created if missing).") var out: String
        @Flag(help: "Export drafts too.") var includeDrafts = false

        func run() throws {
            let month = try BillingMonth(parsing: period)
            let db = try DatabaseTarget().migratedConnection()
            let store = InvoiceStore(db)
            let invoices = try store.invoices(period: month).filter { includeDrafts ? true : $0.status != .draft }
            let written = try InvoiceDocuments.export(invoices, store: store, period: month, format: format, to: out)
            print("\(written.count) file(s) written to \(out)")
        }
    }

    struct Void: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Void an issued invoice with a credit note for all of it.",
            discussion: "The credit note (CN-YYYY-NNNNNN) references the invoice; credits it used go back to their grants.")
        @Argument(help: "Invoice number.") var number: String
        @Option(help: "Why (printed on the credit note).") var reason: String
        @Option(help: "Issue date, YYYY-MM-DD (default: today, UTC).") var date: String?

        func run() throws {
            let db = try DatabaseTarget().migratedConnection()
            let note = try InvoiceStore(db).void(number: number, reason: reason, on: try dayOrToday(date), audit: .commandLine)
            print("\(number) void; credit note \(note.number) for \(note.total)")
        }
    }

    struct CreditNoteCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "credit-note",
            abstract: "Credit some lines of an issued invoice (a partial correction).",
            discussion: """
                --lines takes invoice line numbers, each optionally with an amount: \
                `--lines 2,5=10.00` credits what is left of line 2 and 10.00 of line 5. \
                No line can be credited beyond its amount (earlier credit notes count). \
                Tax is credited at the invoice's rate on the credited net, rounded once.
                """)
        @Argument(help: "Invoice number.") var number: String
        @Option(help: "Lines to credit: N or N=AMOUNT, comma-separated.") var lines: String
        @Option(help: "Why (printed on the credit note).") var reason: String
        @Option(help: "Issue date, YYYY-MM-DD (default: today, UTC).") var date: String?

        func run() throws {
            let db = try DatabaseTarget().migratedConnection()
            let store = InvoiceStore(db)
            let note = try store.creditNote(number: number, linesText: lines, reason: reason, on: try dayOrToday(date), audit: .commandLine)
            print("credit note \(note.number) for \(number): \(note.total)")
        }
    }

    struct MarkPaid: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mark-paid", abstract: "Record that an issued invoice was paid.",
            discussion: "The payment date is on or after the invoice's issue date and no later than today (the clock, UTC).")
        @Argument(help: "Invoice number.") var number: String
        @Option(help: "Payment date, YYYY-MM-DD (default: today, UTC).") var date: String?

        func run() throws {
            let db = try DatabaseTarget().migratedConnection()
            let paidOn = try dayOrToday(date)
            try InvoiceStore(db).markPaid(number: number, on: paidOn, audit: .commandLine)
            print("\(number) paid on \(paidOn)")
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute every invoice's totals from its lines; exit 1 on any mismatch.")

        func run() throws {
            let db = try DatabaseTarget().migratedConnection()
            let invoices = try InvoiceStore(db).allInvoices()
            var bad = 0
            for invoice in invoices {
                do { try invoice.verify() } catch {
                    bad += 1
                    print("MISMATCH \(error)")
                }
            }
            print("\(invoices.count) invoice(s) recomputed, \(bad) mismatch(es)")
            if bad > 0 { throw ExitCode(1) }
        }
    }
}
