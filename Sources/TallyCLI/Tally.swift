import ArgumentParser
import TallyCore

@main
struct Tally: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tally",
        abstract: "Capacity pricing and billing for an AI-inference compute broker.",
        discussion: """
            Tally models what GPU capacity costs, prices token usage with rate cards, \
            and produces invoices, quotes and margin reports.

            DATABASE
              With DATABASE_URL set (a libpq URI or conninfo string), Tally uses that \
            PostgreSQL server. Without it, Tally uses a local cluster in .tally/ under \
            the project folder, creating and starting it on first use (see `tally db`).

            ENVIRONMENT
              DATABASE_URL       PostgreSQL to use instead of the local cluster
              TALLY_DB_DIR       folder of the local cluster (default: <project>/.tally)
              TALLY_MIGRATIONS   folder of migrations (default: <project>/migrations)
              TALLY_NOW          the clock: an ISO 8601 UTC instant (2029-12-31T23:30:00Z); \
            Tally then behaves as if it were that instant (tests, clock travel, reruns)
            """,
        subcommands: [MigrateCommand.self, DBCommand.self, SupplyCommand.self, CostCommand.self, MarginCommand.self, RatesCommand.self, CustomersCommand.self, UsageCommand.self, RateCommand.self, CreditsCommand.self, InvoiceCommand.self, QuoteCommand.self, MarketCommand.self, DemoCommand.self]
    )

    /// Refuses an invalid `TALLY_NOW` before any command runs (a clock set by
    /// mistake must not silently read as the real time), then runs the command.
    static func main() async {
        do {
            try TallyClock.validateEnvironment()
        } catch {
            exit(withError: ValidationError(error.description))
        }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
