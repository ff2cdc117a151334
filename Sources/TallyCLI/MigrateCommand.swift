import ArgumentParser
import Foundation
import TallyCore
import TallyDatabase
import TallyPostgres

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending database migrations.",
        discussion: """
            Migrations are the numbered SQL files in migrations/ (0001_init.sql, …). \
            Each pending file is applied in its own transaction and recorded with a \
            SHA-256 checksum; running `tally migrate` again applies nothing. A file \
            that was changed after it was applied is refused, by name: add a new \
            migration instead. Concurrent runs are safe (an advisory lock serializes them). \
            Then creates the raw usage partitions of the current month and the next \(UsagePartitions.defaultAhead) \
            (see tally usage partitions).
            """
    )

    @Flag(name: .long, help: "List applied and pending migrations; change nothing.")
    var status = false

    func run() throws {
        let target = DatabaseTarget()
        let db = try PostgresConnection(configuration: try target.configuration())
        let migrator = try target.migrator()
        if status {
            let rows = try migrator.status(db)
            let width = rows.map(\.name.count).max() ?? 0
            for row in rows {
                let padded = row.name.padding(toLength: width, withPad: " ", startingAt: 0)
                print("\(padded)  \(row.state.rawValue)\(row.appliedAt.map { "  \($0) UTC" } ?? "")")
            }
            if rows.contains(where: { $0.state == .changed || $0.state == .missingFile }) {
                throw ExitCode.failure
            }
            return
        }
        let applied = try migrator.migrate(db)
        // Raw usage partitions of this month and the next ones (docs/usage.md).
        let created = try UsagePartitions(db).ensure(from: TallyClock.current.currentMonth).filter { $0.state == .created }
        if !created.isEmpty {
            Terminal.note("created usage partitions: " + created.map { UsageArchiveManifest.partition(of: $0.month) }.joined(separator: ", "))
        }
        if applied.isEmpty {
            print("Nothing to apply: \(migrator.migrations.count) migration(s) up to date.")
        } else {
            for name in applied { print("applied \(name)") }
        }
    }
}
