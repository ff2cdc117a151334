import ArgumentParser
import Foundation
import TallyCore
import TallyDatabase
import TallyPresentation

struct CreditsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credits",
        abstract: "Promotional credits: grant, and show a customer's ledger.",
        discussion: """
            A grant serves invoices in its currency whose month ends on or before the end \
            of its expiry day; credits apply before tax, earliest expiry first, never \
            taking an invoice below zero. What is left after expiry is forfeited.
            """,
        subcommands: [Grant.self, Show.self])

    struct Grant: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Grant a customer credits.")
        @Option var customer: String
        @Option(parsing: .upToNextOption, help: "Amount and currency, e.g. --amount 500.00 USD.") var amount: [String]
        @Option(help: "Last day the credit can serve (YYYY-MM-DD).") var expires: String
        @Option(help: "Why (shown on invoices and in the ledger).") var reason: String
        @Option(help: "Grant date, YYYY-MM-DD (default: today, UTC).") var date: String?

        func run() throws {
            guard amount.count == 2 else { throw ValidationError("--amount takes an amount and a currency: --amount 500.00 USD") }
            let money = try Money(parsing: amount[0], try Currency(code: amount[1]))
            let db = try DatabaseTarget().migratedConnection()
            let grant = try CreditStore(db).grant(
                customer: customer, amount: money, expiresOn: try CivilDate(parsing: expires), reason: reason,
                grantedOn: try dayOrToday(date), audit: .commandLine)
            print("\(grant.id): \(grant.amount) for \(customer), expires \(grant.expiresOn)")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A customer's credit ledger: grants, consumption per invoice, expiry, balance.")
        @Argument var customer: String
        @Option(help: "As of this date (default: today, UTC); credits past expiry show as expired.") var asOf: String?
        @Option(help: "table, csv or json.") var format: OutputFormat = .table

        func run() throws {
            let db = try DatabaseTarget().migratedConnection()
            _ = try KnownNames.customer(customer, in: db)
            let entries = try CreditStore(db).ledger(customer: customer, asOf: try dayOrToday(asOf))
            try CreditLedgerPresentation.table(entries, grouped: format == .table).print(format, keys: CreditLedgerPresentation.jsonKeys)
        }
    }
}
