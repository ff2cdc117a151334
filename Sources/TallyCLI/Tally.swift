import ArgumentParser
import TallyPresentation
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
              TALLY_CONFIG       folder of issuer.yaml (default: <project>/config)
              TALLY_RATES        folder of rate cards and tax/ (default: <project>/rates)
              TALLY_NOW          the clock: an ISO 8601 UTC instant (2029-12-31T23:30:00Z); \
            Tally then behaves as if it were that instant (tests, clock travel, reruns)

            \(ErrorKind.helpText)
            """,
        subcommands: [MigrateCommand.self, DBCommand.self, SupplyCommand.self, CostCommand.self, MarginCommand.self, RatesCommand.self, CustomersCommand.self, UsageCommand.self, RateCommand.self, CreditsCommand.self, InvoiceCommand.self, QuoteCommand.self, MarketCommand.self, DemoCommand.self, AuditCommand.self, KeysCommand.self, ServeCommand.self]
    )

    /// Refuses an invalid `TALLY_NOW` before any command runs (a clock set by
    /// mistake must not silently read as the real time), then runs the command.
    /// Every failure ends here: one code and exit status per kind of error
    /// (``ErrorReport``), printed as JSON on stdout when `--format json` was asked.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let json = zip(arguments, arguments.dropFirst()).contains { $0 == "--format" && $1 == "json" } || arguments.contains("--format=json")
        do {
            try TallyClock.validateEnvironment()
        } catch {
            fail(ErrorReport(kind: .badInput, code: "time.invalid_clock", message: error.description), json: json)
        }
        var command: any ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            // --help and --version are "errors" that exit 0 with their text.
            if exitCode(for: error).isSuccess { exit(withError: error) }
            fail(ErrorReport.usage(fullMessage(for: error)), json: json)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as ExitCode {
            // The command already said why (e.g. usage ingest's rejected events).
            exit(withError: error)
        } catch let error as CleanExit {
            exit(withError: error)
        } catch {
            // `tally --help` and `tally help X` parse to a help command whose run "fails" with the help text.
            if exitCode(for: error).isSuccess { exit(withError: error) }
            fail(ErrorReport(error), json: json)
        }
    }

    static func fail(_ report: ErrorReport, json: Bool) -> Never {
        if json {
            print(report.json())
        } else {
            Terminal.note("Error: \(report.message)")
        }
        exit(withError: report.kind.exitCode)
    }
}
