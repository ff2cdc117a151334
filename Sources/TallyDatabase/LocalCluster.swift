import Foundation
import TallyPostgres

/// A project-local PostgreSQL cluster under `.tally/`, for when no
/// `DATABASE_URL` is set: created with `initdb` on first use, started with
/// `pg_ctl`, reachable only through a Unix socket in its own folder (no TCP
/// port to collide with, trust authentication limited to that socket).
///
/// PostgreSQL refuses to run as root; when Tally runs as root (CI, these
/// machines), the server runs as the unprivileged `postgres` user, which owns
/// the folder.
public struct LocalCluster: Sendable {
    /// The `.tally` folder.
    public let root: URL
    public static let databaseName = "tally"
    public static let userName = "tally"

    /// A throwaway cluster (tests, benchmarks) trades crash safety for speed:
    /// no fsync, no synchronous commit. The project's own `.tally` is durable.
    public let throwaway: Bool

    public init(root: URL, throwaway: Bool = false) {
        self.root = root.standardizedFileURL
        self.throwaway = throwaway
    }

    public var dataDirectory: URL { root.appendingPathComponent("data") }
    public var socketDirectory: URL { root.appendingPathComponent("run") }
    public var logFile: URL { root.appendingPathComponent("postgres.log") }

    /// The conninfo string for this cluster (no password: trust on a private socket).
    public var url: String {
        "host=\(conninfoQuoted(socketDirectory.path)) dbname=\(Self.databaseName) user=\(Self.userName)"
    }

    public var configuration: PostgresConfiguration { PostgresConfiguration(url: url) }

    public enum State: String, Sendable { case running, stopped, absent = "not created" }

    public func state() throws -> State {
        guard FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path) else {
            return .absent
        }
        let result = try run(try tool("pg_ctl"), ["-D", dataDirectory.path, "status"], asServerUser: true)
        return result.status == 0 ? .running : .stopped
    }

    /// Creates the cluster if needed and starts it if stopped. Returns what it did.
    @discardableResult
    public func start() throws -> [String] {
        var done: [String] = []
        switch try state() {
        case .running:
            try ensureDatabase()
            return ["already running"]
        case .absent:
            try create()
            done.append("created cluster in \(dataDirectory.path)")
            fallthrough
        case .stopped:
            try checkSocketPath()
            try prepareOwnership()
            var options = "-k '\(socketDirectory.path)' -c listen_addresses=''"
            if throwaway { options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off" }
            let result = try run(
                try tool("pg_ctl"),
                ["-D", dataDirectory.path, "-l", logFile.path, "-w", "-t", "60", "-o", options, "start"],
                asServerUser: true)
            guard result.status == 0 else {
                throw LocalClusterError("pg_ctl start failed: \(result.output)\nsee \(logFile.path)")
            }
            done.append("started PostgreSQL (socket in \(socketDirectory.path))")
        }
        try ensureDatabase()
        return done
    }

    public func stop() throws -> String {
        guard try state() == .running else { return "not running" }
        let result = try run(
            try tool("pg_ctl"), ["-D", dataDirectory.path, "-m", "fast", "-w", "stop"], asServerUser: true)
        guard result.status == 0 else { throw LocalClusterError("pg_ctl stop failed: \(result.output)") }
        return "stopped"
    }

    private func create() throws {
        let fm = FileManager.default
        try fm.createDirectory(at: socketDirectory, withIntermediateDirectories: true)
        try prepareOwnership()
        let result = try run(
            try tool("initdb"),
            ["-D", dataDirectory.path, "-U", Self.userName, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-instructions"],
            asServerUser: true)
        guard result.status == 0 else { throw LocalClusterError("initdb failed: \(result.output)") }
    }

    private func ensureDatabase() throws {
        var admin = configuration
        admin.url = "host=\(conninfoQuoted(socketDirectory.path)) dbname=postgres user=\(Self.userName)"
        let db = try PostgresConnection(configuration: admin)
        let exists = try db.scalar("SELECT count(*) FROM pg_database WHERE datname = \(Self.databaseName)", as: Int.self)
        if exists == 0 {
            try db.execute("CREATE DATABASE \(identifier: Self.databaseName)")
        }
    }

    /// Unix socket paths are limited to 107 bytes.
    private func checkSocketPath() throws {
        let path = socketDirectory.appendingPathComponent(".s.PGSQL.5432").path
        guard path.utf8.count <= 107 else {
            throw LocalClusterError(
                "the socket path \(path) is longer than Unix allows (107 bytes); move the project or set DATABASE_URL")
        }
        guard !root.path.contains("'") else { throw LocalClusterError("the project path must not contain a quote") }
    }

    private var isRoot: Bool { geteuid() == 0 }

    /// As root, hands the folder to the `postgres` user.
    private func prepareOwnership() throws {
        try FileManager.default.createDirectory(at: socketDirectory, withIntermediateDirectories: true)
        guard isRoot else { return }
        guard getpwnam("postgres") != nil else {
            throw LocalClusterError(
                "running as root, and there is no 'postgres' user to run the server as; install PostgreSQL with: apt-get install -y postgresql")
        }
        let result = try run(URL(fileURLWithPath: "/bin/chown"), ["-R", "postgres:postgres", root.path], asServerUser: false)
        guard result.status == 0 else { throw LocalClusterError("chown failed: \(result.output)") }
    }

    /// Finds a PostgreSQL server program on PATH or under /usr/lib/postgresql/*/bin.
    public func tool(_ name: String) throws -> URL {
        let fm = FileManager.default
        var candidates: [String] = []
        let libDir = "/usr/lib/postgresql"
        if let versions = try? fm.contentsOfDirectory(atPath: libDir) {
            for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
                candidates.append("\(libDir)/\(version)/bin/\(name)")
            }
        }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            candidates.append("\(dir)/\(name)")
        }
        guard let found = candidates.first(where: { fm.isExecutableFile(atPath: $0) }) else {
            throw LocalClusterError(
                "PostgreSQL server program '\(name)' not found on PATH or in /usr/lib/postgresql/*/bin; "
                    + "install it with: sudo apt-get install -y postgresql")
        }
        return URL(fileURLWithPath: found)
    }

    private func run(_ executable: URL, _ arguments: [String], asServerUser: Bool) throws -> ChildProcess.Result {
        if asServerUser && isRoot {
            return try ChildProcess.run("/usr/sbin/runuser", ["-u", "postgres", "--", executable.path] + arguments)
        }
        return try ChildProcess.run(executable.path, arguments)
    }

    /// Finds the project root: the nearest folder at or above `start` holding
    /// `Package.swift` and `migrations/`; `start` itself when there is none.
    public static func projectRoot(from start: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        -> URL
    {
        var dir = start.standardizedFileURL
        let fm = FileManager.default
        while true {
            if fm.fileExists(atPath: dir.appendingPathComponent("migrations").path)
                && fm.fileExists(atPath: dir.appendingPathComponent("Package.swift").path)
            {
                return dir
            }
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { return start }
            dir = parent
        }
    }
}

/// Quotes a conninfo value: single quotes, with `\` and `'` escaped.
func conninfoQuoted(_ value: String) -> String {
    "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
}

public struct LocalClusterError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
