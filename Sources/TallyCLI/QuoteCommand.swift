import ArgumentParser
import Foundation
import TallyCore
import TallyDatabase
import TallyPresentation

struct QuoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quote",
        abstract: "Quotes for sales: price a monthly volume, see margin and market, store, accept into a card.",
        discussion: """
            `tally quote --customer C|--prospect NAME --volume …` prices expected monthly \
            tokens with tiers applied, estimates the fully loaded cost from the trailing \
            30 days, shows margin and the market range, flags a margin under the floor or \
            a price under cost, and stores the quote (Q-YYYY-NNNNNN) with an expiry. \
            `show`, `list` and `accept` follow. Rules: docs/quotes.md.
            """,
        subcommands: [Create.self, Show.self, List.self, Accept.self],
        defaultSubcommand: Create.self)

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Price and store a quote (the default: `tally quote --customer …` is `tally quote create …`).",
            discussion: """
                Each model's monthly volume is priced as an invoice would bill it in one \
                month under the card version in force at --as-of (default: now): tiers \
                applied, each band rounded once to the minor unit. The price basis is the \
                customer's card (a prospect: public), or --card; --discount and --price \
                combine over it like an override card (own prices flat, not discounted; \
                the discount on every other price, tier bands included). A card that is \
                itself an override can be quoted only as it is.

                Cost: each model's fully loaded cost per 1M tokens over the 30 days before \
                --as-of (tally cost --by model), times the volume. A model without cost \
                history in that window shows cost unknown, never zero, and the floor check \
                says it cannot be verified. Costs in another currency than the card's are \
                converted at the window's last day's FX rate, said on the quote.

                Market: min / median / max of the providers' prices per 1M in the market \
                table (tally market import), and where the quote's effective price sits.

                Flags: a model or total margin under the floor (default 20%), a price \
                under cost (per line, model or total), a cost that is unknown. With \
                --fail-below-floor any flag exits with status 3 and the quote is not stored.

                EXAMPLES
                  tally quote --prospect "Globex" --volume llama-3.3-70b-instruct:input=2e9,output=5e8
                  tally quote --customer northwind-labs --volumes volumes.csv --card public --discount 15%
                  tally quote --prospect Initech --volume deepseek-v3:input=1e9,cached=2e8,output=3e8 \\
                      --price deepseek-v3:output=1.10 --floor 25% --fail-below-floor --as-of 2026-11-29
                """)

        @Option(help: "An existing customer's id.") var customer: String?
        @Option(help: "A prospect's name (not yet a customer).") var prospect: String?
        @Option(name: .customLong("volume"), help: "Monthly tokens of a model: MODEL:input=N,cached=N,output=N (repeatable; 2e9 is read exactly).")
        var volumes: [String] = []
        @Option(name: .customLong("volumes"), help: "A CSV file of volumes: model,input,cached_input,output.") var volumesFile: String?
        @Option(help: "The card to price with (default: the customer's card; public for a prospect).") var card: String?
        @Option(help: "A discount off the card's prices, e.g. 15%.") var discount: String?
        @Option(name: .customLong("price"), help: "Own flat prices per 1M: MODEL:input=P,cached=P,output=P (repeatable).") var prices: [String] = []
        @Option(help: "Days the quote is valid.") var validDays: Int = QuoteRequest.defaultValidDays
        @Option(help: "Margin floor, e.g. 25% (default 20%).") var floor: String?
        @Flag(help: "Exit with status 3 (and store nothing) when the floor is not met or cannot be verified.") var failBelowFloor = false
        @Option(help: "Prices in force on this day (00:00 UTC) and costs of the 30 days before it, YYYY-MM-DD (default: now / today, UTC).")
        var asOf: String?
        @Option(help: "table, csv or json.") var format: OutputFormat = .table

        func run() throws {
            let options = try QuoteMaker.Options(
                customer: customer, prospect: prospect, volumeTexts: volumes,
                extraVolumes: try volumesFile.map { try QuoteVolumesFile.read(path: $0) } ?? [], card: card,
                discount: discount, priceTexts: prices, floor: floor, validDays: validDays, asOf: asOf)
            let db = try DatabaseTarget().migratedConnection()
            if let asOf = options.asOf, asOf > TallyClock.current.today {
                Terminal.note("--as-of \(asOf) is after today: the cost window's last days are not over, its cost is what is recorded so far")
            }
            var quote = try QuoteMaker(db).make(options)
            let refused = failBelowFloor && quote.failsFloor
            if !refused { quote = try QuoteStore(db).save(quote) }
            let text = QuoteText(quote: quote, status: refused ? nil : .open, stored: !refused)
            switch format {
            case .table: print(text.table())
            case .csv: print(try text.csv(), terminator: "")
            case .json: print(try text.json())
            }
            if refused {
                Terminal.note("quote not stored: the \(quote.floorPercent)% floor is not met or cannot be verified (--fail-below-floor)")
                throw ExitCode(3)
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a stored quote as it was priced, with its status.",
            discussion: "EXAMPLES\n  tally quote show Q-2026-000001\n  tally quote show Q-2026-000001 --format json")
        @Argument(help: "The quote id, e.g. Q-2026-000001.") var id: String
        @Option(help: "table, csv or json.") var format: OutputFormat = .table

        func run() throws {
            let db = try DatabaseTarget().migratedConnection()
            guard let record = try QuoteStore(db).record(id: id) else {
                throw QuoteError(.notFound, "no quote \(id) (see tally quote list)")
            }
            let text = QuoteText(quote: record.quote, status: record.status)
            let acceptance = QuoteText.Acceptance(record)
            switch format {
            case .table: print(text.table())
            case .csv: print(try text.csv(), terminator: "")
            case .json: print(try text.json(acceptance: acceptance))
            }
            if format == .table, let at = record.acceptedAt {
                print("accepted \(at) for customer \(record.acceptedCustomer ?? "?"): card \(record.acceptedCard ?? "?") from \(record.acceptedEffectiveFrom.map(\.description) ?? "?") (\(record.acceptedFile ?? "?"))")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List stored quotes, oldest first.",
            discussion: "EXAMPLES\n  tally quote list\n  tally quote list --status open --format csv")
        @Option(help: "Only quotes that are open, accepted or expired.") var status: Quote.Status?
        @Option(help: "table, csv or json.") var format: OutputFormat = .table

        func run() throws {
            let db = try DatabaseTarget().migratedConnection()
            let records = try QuoteStore(db).list(status: status)
            let output = QuoteText.listTable(records, grouped: format == .table)
            switch format {
            case .table: print(records.isEmpty ? "no quotes" : output.table())
            case .csv: print(try output.csv(), terminator: "")
            case .json: print(try QuoteText.listJSON(records))
            }
        }
    }

    struct Accept: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Accept an open quote: write the customer's custom card, load it, put the customer on it.",
            discussion: """
                Writes rates/custom/<customer>.yaml (an override card over the quote's base \
                card with its discount and own prices), or appends a version to it; a new \
                file first carries the customer's current prices as earlier versions, so \
                usage before the quote keeps its price. The version starts at the next whole \
                UTC hour, or --effective. The file is parsed back, the card loaded, the \
                customer put on it and the quote marked accepted in one transaction: the \
                next `tally invoice run` prices with it. An expired or accepted quote is \
                refused; a prospect's quote needs --customer (add it first with tally \
                customers add). Review and commit the written file like any card.

                EXAMPLES
                  tally quote accept Q-2026-000001
                  tally quote accept Q-2026-000002 --customer globex --effective 2026-12-01
                """)
        @Argument(help: "The quote id.") var id: String
        @Option(help: "The customer a prospect's quote is for.") var customer: String?
        @Option(help: "When the card's new version starts: YYYY-MM-DD or a whole UTC hour (default: the next whole hour).")
        var effective: InstantArgument?
        @Option(help: "The rate card folder, holding the quote's base card (default: $TALLY_RATES, else <project>/rates).") var rates: String?

        func run() throws {
            let db = try DatabaseTarget().migratedConnection()
            let folder = rates ?? ProjectPaths.discover().ratesDirectory().path
            let r = try QuoteAcceptance(db, ratesDirectory: folder).accept(
                id: id, customer: customer, effective: effective?.timestamp, audit: .commandLine)
            print("quote \(r.quote) accepted: customer \(r.customer) is on card \(r.card) from \(r.effectiveFrom)")
            print("\(r.created ? "wrote" : "appended a version to") \(r.file)")
            print("card loaded: \(r.load.versionsAdded) version(s) added, \(r.load.versionsChanged) changed, \(r.load.versionsUnchanged) unchanged")
            for note in r.notes { print("note: \(note)") }
        }
    }
}

extension Quote.Status: ExpressibleByArgument {}
