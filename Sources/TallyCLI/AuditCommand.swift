import ArgumentParser
import TallyCore
import TallyDatabase
import TallyPresentation

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "The audit log: who changed what, as which role, when.",
        discussion: """
            Every change made through the API, and from the command line: invoice \
            finalize, void, credit notes and payments, quote acceptance, rate card loads, \
            credit grants, customers added or changed. Command-line changes are recorded \
            as the OS user with role cli. Entries are written in the transaction of their \
            change (a change that failed left none) and can never be edited or deleted. \
            Oldest first, sorted by time, then id. Rules: docs/audit.md.

            EXAMPLES
              tally audit
              tally audit --since 2026-12-01 --format csv
              tally audit --since 2026-12-01T09:00:00Z --limit 50 --format json
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, table, csv, json
    }

    @Option(help: "Only entries at or after this day (00:00 UTC) or instant.")
    var since: InstantArgument?

    @Option(help: "At most N entries (the earliest from --since).")
    var limit: Int?

    @Option(help: "text (an aligned table; table is the same), csv or json.")
    var format: Format = .text

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
    }

    func run() throws {
        let entries = try AuditStore(try DatabaseTarget().migratedConnection()).list(since: since?.timestamp, limit: limit)
        let output = AuditPresentation.table(entries)
        switch format {
        case .text, .table: print(entries.isEmpty ? "no audit entries" : output.table())
        case .csv: print(try output.csv(), terminator: "")
        case .json: print(try AuditPresentation.json(entries))
        }
    }
}
