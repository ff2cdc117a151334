import ArgumentParser
import TallyCore
import TallyDatabase
import TallyPostgres

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Show what Tally does, end to end, on the local database.",
        discussion: """
            Starts the local database if needed, applies migrations, and walks \
            through what Tally can do so far. Later versions build a realistic \
            month of supply, usage and invoices here.
            """
    )

    func run() throws {
        let target = DatabaseTarget()
        let db = try target.migratedConnection()
        print("== Database")
        print("PostgreSQL \(db.serverVersion / 10000).\(db.serverVersion % 100), target \(db.configuration.redactedTarget)")
        for row in try target.migrator().status(db) {
            print("  migration \(row.name): \(row.state.rawValue)")
        }

        print("\n== Exact money")
        let tenth = try ExactDecimal(parsing: "0.1")
        let sum = try Array(repeating: tenth, count: 10).sum()
        print("0.1 added ten times = \(sum) (exact; a binary float gives 0.9999999999999999)")

        // A month of output tokens for one customer, priced per 1M tokens.
        let tokens = ExactDecimal(1_234_567_891)
        let pricePerMillion = try ExactDecimal(parsing: "0.125")
        let exact = try tokens * pricePerMillion
            .divided(by: ExactDecimal(1_000_000), rounding: .halfAwayFromZero)
        for currency in [Currency.usd, .jpy] {
            let line = Money(exact, currency)
            print("1,234,567,891 tokens × 0.125 per 1M = \(line) → invoice line \(line.rounded(.halfAwayFromZero))")
        }

        // The same figure, through PostgreSQL numeric and back, digit for digit.
        let back = try db.scalar("SELECT \(exact)::numeric * 1", as: ExactDecimal.self)
        print("round trip through PostgreSQL numeric: \(back) (\(back == exact ? "identical" : "DIFFERENT"))")
        do {
            _ = try Money(1, .usd) + Money(1, .eur)
        } catch {
            print("adding USD to EUR: refused (\(error))")
        }
        print("\nNext: supply costs, rate cards, usage, invoices (see README).")
    }
}
