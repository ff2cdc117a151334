import ArgumentParser
import TallyCore
import TallyDatabase
import TallyPresentation

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "API keys for `tally serve`: create, list, revoke.",
        discussion: """
            A key has a name and one role: ingest (sends usage), finance (invoices, \
            payments, credits, customers), sales (quotes, rate cards and customers read), \
            ops (reports, metrics, everything read-only), admin (everything). The secret \
            is printed once, alone on the last line of stdout; the database keeps only \
            its SHA-256. Creation and revocation are in the audit log. Rules: docs/api.md.

            EXAMPLES
              tally keys create --name fleet --role ingest
              tally keys list --format json
              tally keys revoke fleet
            """,
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key; print its secret once, on the last line of stdout.")
        @Option(help: "A unique name (letters, digits, '.', '_', '-').") var name: String
        @Option(help: "ingest, finance, sales, ops or admin.") var role: String

        func run() throws {
            let role = try Role(parsing: role)
            let db = try DatabaseTarget().migratedConnection()
            let (key, secret) = try ApiKeyStore(db).create(name: name, role: role, audit: .commandLine)
            Terminal.note("key '\(key.name)' created with role \(key.role.rawValue); it is shown once, below (keep it secret)")
            print(secret)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (names, roles, dates; never secrets).")
        @Option(help: "table, csv or json.") var format: OutputFormat = .table

        func run() throws {
            let keys = try ApiKeyStore(try DatabaseTarget().migratedConnection()).list()
            if keys.isEmpty && format == .table {
                print("no keys (create one with `tally keys create --name NAME --role ROLE`)")
                return
            }
            try ApiKeyPresentation.table(keys).print(format, keys: ApiKeyPresentation.keys)
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key (refused from the next request on).")
        @Argument(help: "The key's name.") var name: String

        func run() throws {
            try ApiKeyStore(try DatabaseTarget().migratedConnection()).revoke(name: name, audit: .commandLine)
            print("key '\(name)' revoked")
        }
    }
}
