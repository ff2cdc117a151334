import ArgumentParser
import Foundation
import TallyCore
import TallyDatabase
import TallyPostgres
import TallyPresentation

struct RatesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rates",
        abstract: "Rate cards: validate, load and show the YAML files in rates/.",
        discussion: "The file format is in docs/rate-cards.md.",
        subcommands: [Check.self, Load.self, Show.self]
    )

    struct PathOption: ParsableArguments {
        @Argument(help: "A rate card file or folder (default: $TALLY_RATES, else <project>/rates).")
        var path: String?

        var resolved: String {
            path ?? ProjectPaths.discover().ratesDirectory().path
        }

        /// The cards, and the tax rates of `<folder>/tax/` when a folder is
        /// given (nil for a single card file), validated together: every
        /// problem of both is thrown at once.
        func parsed() throws -> (cards: [RateCardFile.Parsed], taxes: [TaxRate]?) {
            if path == nil, !FileManager.default.fileExists(atPath: resolved) {
                let paths = ProjectPaths.discover()
                throw ImportError([ImportProblem(file: resolved, line: nil, paths.missing("the rates folder", at: resolved, variable: "TALLY_RATES")
                                                 + " (or give the folder: tally rates load PATH)")])
            }
            return try Self.parse(resolved)
        }

        static func parse(_ resolved: String) throws -> (cards: [RateCardFile.Parsed], taxes: [TaxRate]?) {
            let (cards, cardProblems) = RateCardFile.parseAll(path: resolved)
            var taxes: [TaxRate]?
            var problems = cardProblems
            var isDirectory: ObjCBool = false
            let folder = (resolved as NSString).appendingPathComponent("tax")
            if FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue {
                let (rates, taxProblems) = TaxRateFile.parseAll(path: folder)
                taxes = rates
                problems += taxProblems
            }
            guard problems.isEmpty else { throw ImportError(problems) }
            return (cards, taxes)
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate rate cards; list every problem with file:line.",
            discussion: """
                Checks currencies, prices (decimal, not negative, at most 6 places), tiers \
                (ascending bands, the last without up_to), duplicate effective_from, a \
                model or class priced twice, unknown keys, and override cards whose base \
                does not exist. Exit status 1 on any problem. Needs no database.
                """)
        @OptionGroup var options: PathOption

        func run() throws {
            let (cards, taxes) = try options.parsed()
            if let taxes { print("ok  tax rates: \(taxes.count) rate(s) for \(Set(taxes.map(\.country)).count) countries") }
            for parsed in cards.sorted(by: { $0.card.id < $1.card.id }) {
                let models = Set(parsed.card.versions.flatMap { $0.prices.keys }).count
                print("ok  \(parsed.card.id) (\(parsed.card.currency), \(parsed.card.versions.count) version(s), \(models) model(s)) \(parsed.file)")
            }
        }
    }

    struct Load: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load rate cards into the database in one transaction.",
            discussion: """
                Validates first (as `tally rates check`) and loads nothing if anything is \
                wrong. Loading the same files again changes nothing. A version that an \
                issued invoice used cannot change or disappear: publish a new version.
                """)
        @OptionGroup var options: PathOption

        func run() throws {
            for line in try Self.load(try options.parsed(), into: try DatabaseTarget().migratedConnection(), audit: .commandLine) {
                print(line)
            }
        }

        /// Loads tax rates and cards in one transaction (with its `rates.load`
        /// audit entry when `audit` is given); says what changed.
        static func load(
            _ parsed: (cards: [RateCardFile.Parsed], taxes: [TaxRate]?), into db: PostgresConnection, audit: AuditActor? = nil
        ) throws -> [String] {
            try db.transaction {
                var lines: [String] = []
                if let taxes = parsed.taxes {
                    let changed = try TaxRateStore(db).load(taxes)
                    lines.append("tax rates: \(taxes.count) rate(s) for \(Set(taxes.map(\.country)).count) countries, \(changed) changed")
                }
                let s = try RateCardStore(db).load(parsed.cards, audit: audit)
                lines.append("\(s.cards) card(s): \(s.versionsAdded) version(s) added, \(s.versionsChanged) changed, \(s.versionsRemoved) removed, \(s.versionsUnchanged) unchanged")
                return lines
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the prices of a card in force at a time (default: now).",
            discussion: "Override cards show the resulting prices, with their source.")

        @Argument(help: "The card id, e.g. public.")
        var card: String

        @Option(help: "When: YYYY-MM-DD or a UTC timestamp.")
        var at: InstantArgument?

        @Option(help: "table, csv or json.")
        var format: OutputFormat = .table

        func run() throws {
            let db = try DatabaseTarget().migratedConnection()
            let cards = try RateCardStore(db).cards()
            let book = PriceBook(cards: cards)
            guard let target = book.cards[card] else {
                throw ValidationError("no rate card '\(card)'; loaded: \(cards.map(\.id).joined(separator: ", "))")
            }
            let prices = try RateCardPrices(book: book, card: target, at: at?.timestamp ?? TallyClock.current.now, grouped: format == .table)
            switch format {
            case .table:
                print(prices.title + "\n")
                print(prices.tabular().table())
            case .csv:
                print(try prices.tabular().csv(), terminator: "")
            case .json:
                print(try prices.json())
            }
        }
    }
}
