import ArgumentParser
import Foundation
import TallyDatabase

struct DBCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Manage the local PostgreSQL cluster in .tally/.",
        discussion: """
            When DATABASE_URL is not set, Tally keeps its own PostgreSQL cluster in \
            .tally/ (git-ignored), listening only on a Unix socket in that folder, \
            closed to other OS users (folders 0700, peer authentication, no TCP; Tally \
            works as the role 'tally', which is no superuser). It is created and started \
            on first use, only in a new or empty folder; these commands manage it by hand. \
            As root, the server runs as the 'postgres' system user.
            """,
        subcommands: [Start.self, Stop.self, Status.self, URLCommand.self]
    )

    struct ClusterOptions: ParsableArguments {
        @Option(
            name: .long,
            help: "Cluster folder (default: $TALLY_DB_DIR or <project>/.tally): new, empty, or a cluster Tally made.")
        var dir: String?

        @Flag(name: .long, help: "Throwaway cluster for tests: no fsync (fast, not crash-safe).")
        var throwaway = false

        var cluster: LocalCluster {
            let root = dir.map { URL(fileURLWithPath: $0) } ?? ProjectPaths.discover().localClusterDirectory()
            return LocalCluster(root: root, throwaway: throwaway)
        }
    }

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create (if needed) and start the local cluster.")
        @OptionGroup var options: ClusterOptions
        func run() throws {
            for line in try options.cluster.start() { print(line) }
        }
    }

    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the local cluster.")
        @OptionGroup var options: ClusterOptions
        func run() throws {
            print(try options.cluster.stop())
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Say whether the local cluster exists and runs.",
            discussion: "Exit status 0 when running, 3 when stopped or not created.")
        @OptionGroup var options: ClusterOptions
        func run() throws {
            let cluster = options.cluster
            let state = try cluster.state()
            print("\(state.rawValue): \(cluster.dataDirectory.path)")
            if state != .running { throw ExitCode(3) }
        }
    }

    struct URLCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "url",
            abstract: "Print the local cluster's connection string (for psql or DATABASE_URL).")
        @OptionGroup var options: ClusterOptions
        func run() {
            print(options.cluster.url)
        }
    }
}
