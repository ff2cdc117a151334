import ArgumentParser

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
            """,
        subcommands: [MigrateCommand.self, DBCommand.self, SupplyCommand.self, CostCommand.self, MarginCommand.self, RatesCommand.self, CustomersCommand.self, UsageCommand.self, RateCommand.self, CreditsCommand.self, InvoiceCommand.self, QuoteCommand.self, MarketCommand.self, DemoCommand.self]
    )
}
