import Foundation
import TallyPostgres

/// A project-local PostgreSQL cluster under `.tally/`, for when no
/// `DATABASE_URL` is set: created with `initdb` on first use, started with
/// `pg_ctl`, reachable only through a Unix socket in its own folder (no TCP
/// port to collide with or to reach from elsewhere).
///
/// Billing data and a server that runs programs are at stake, so the cluster
/// is closed to every other account on the machine: its folder and socket are
/// the server user's alone (0700), it accepts only `peer` authentication for
/// the OS user who created it, and Tally works through `tally`, a role that
/// may create databases but is no superuser (`tally_admin`, the superuser,
/// only sets the cluster up).
///
/// PostgreSQL refuses to run as root; when Tally runs as root (CI, these
/// machines), the server runs as the unprivileged `postgres` user, which is
/// given the folders Tally creates (never anything that was already there).
public struct LocalCluster: Sendable {
    /// The `.tally` folder.
    public let root: URL
    public static let databaseName = "tally"
    /// Tally's own role: LOGIN CREATEDB, owner of the `tally` database, not a superuser.
    public static let userName = "tally"
    /// The bootstrap superuser, used only to create the role and the database.
    public static let adminName = "tally_admin"
    /// The file that marks a folder as a cluster made by this Tally; a
    /// non-empty folder without it is refused, whatever else it holds.
    public static let markerName = "tally-cluster"

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
    var markerFile: URL { root.appendingPathComponent(Self.markerName) }
    /// What the marker says; a file of that name with other text is not Tally's.
    static let markerText = "This folder is a PostgreSQL cluster made by Tally (tally db start); "
        + "Tally refuses to use a non-empty folder without this file.\n"

    /// The conninfo string for this cluster (no password: peer authentication on a private socket).
    public var url: String { conninfo(database: Self.databaseName, user: Self.userName) }

    public var configuration: PostgresConfiguration { PostgresConfiguration(url: url) }

    private func conninfo(database: String, user: String) -> String {
        "host=\(conninfoQuoted(socketDirectory.path)) dbname=\(database) user=\(user)"
    }

    public enum State: String, Sendable { case running, stopped, absent = "not created" }

    public func state() throws -> State {
        guard FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path) else {
            return .absent
        }
        let result = try run(try tool("pg_ctl"), ["-D", dataDirectory.path, "status"], asServerUser: true)
        return result.status == 0 ? .running : .stopped
    }

    /// Creates the cluster if needed and starts it if stopped. Returns what it did.
    /// Refuses a folder that is neither new, empty, nor a cluster made by this Tally.
    @discardableResult
    public func start() throws -> [String] {
        try checkFolder()
        var done: [String] = []
        switch try state() {
        case .running:
            try ensureDatabase()
            return ["already running"]
        case .absent:
            try checkSocketPath()
            try create()
            done.append("created cluster in \(dataDirectory.path)")
            fallthrough
        case .stopped:
            try checkSocketPath()
            try closeFolders()
            var options = "-k '\(socketDirectory.path)' -c listen_addresses=''"
            // Throwaway clusters serve test suites whose tests run in parallel,
            // each with a pool (and the server tests with a server's): room
            // for a few hundred connections rather than PostgreSQL's 100.
            if throwaway { options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" }
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

    // MARK: The folder

    /// Accepts a missing or empty folder (the cluster goes there) or one that
    /// holds Tally's marker. Anything else is someone's files: Tally would
    /// otherwise take them over (as root, hand them all to `postgres`).
    private func checkFolder() throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: root.path, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue else {
            throw LocalClusterError("the local cluster folder \(root.path) is a file, not a folder; choose another with --dir or TALLY_DB_DIR")
        }
        let entries: [String]
        do {
            entries = try fm.contentsOfDirectory(atPath: root.path)
        } catch {
            throw LocalClusterError(
                "cannot read the local cluster folder \(root.path) (owner \(Self.ownerName(of: root.path))): "
                    + "run Tally as the user who created it, or choose another folder with --dir or TALLY_DB_DIR")
        }
        if entries.isEmpty { return }
        if entries.contains(Self.markerName) {
            // The marker alone proves nothing (anyone can create a file of that
            // name): it must hold Tally's text, and nothing but the cluster's own
            // entries may stand beside it.
            let foreign = Set(entries).subtracting([Self.markerName, "data", "run", "postgres.log"]).sorted()
            let text = try? String(contentsOf: markerFile, encoding: .utf8)
            guard foreign.isEmpty, text == Self.markerText else {
                let why = foreign.isEmpty
                    ? "its \(Self.markerName) file was not written by Tally"
                    : "it also holds files Tally did not create (\(foreign.prefix(3).joined(separator: ", "))\(foreign.count > 3 ? ", …" : ""))"
                throw LocalClusterError(
                    "the local cluster folder \(root.path) is not a Tally cluster: \(why); "
                        + "Tally never takes over files it did not create; choose another folder with --dir or TALLY_DB_DIR")
            }
            return
        }
        if Set(entries).isSubset(of: ["data", "run", "postgres.log"])
            && fm.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path)
        {
            throw LocalClusterError(
                """
                \(root.path) holds a local cluster made by an older Tally, which every account on this machine \
                can use as a superuser (trust authentication, open socket); Tally no longer uses it. \
                Delete it and Tally creates a closed one on next use (its data is lost; pg_dump it first to keep it): \
                tally db stop --dir '\(root.path)' && rm -rf '\(root.path)'   (for the project's .tally: make clean-db)
                """)
        }
        let shown = entries.sorted().prefix(3).joined(separator: ", ") + (entries.count > 3 ? ", …" : "")
        throw LocalClusterError(
            "the local cluster folder \(root.path) is not empty (\(shown)) and is not a Tally cluster "
                + "(no \(Self.markerName) file): Tally creates its cluster only in a new or empty folder "
                + "and never takes over files it did not create; choose another folder with --dir or TALLY_DB_DIR")
    }

    private func create() throws {
        let fm = FileManager.default
        try fm.createDirectory(at: root, withIntermediateDirectories: true)
        try takeOver(root.path, directory: true)
        try checkServerCanReach()
        try write(Self.markerText, to: markerFile)
        try fm.createDirectory(at: socketDirectory, withIntermediateDirectories: true)
        try takeOver(socketDirectory.path, directory: true)
        let result = try run(
            try tool("initdb"),
            ["-D", dataDirectory.path, "-U", Self.adminName, "--auth-local=peer", "--auth-host=reject",
             "-E", "UTF8", "--locale=C", "--no-instructions"],
            asServerUser: true)
        guard result.status == 0 else { throw LocalClusterError("initdb failed: \(result.output)") }
        try writeAccessRules()
    }

    /// Only the OS user who created the cluster, only through the socket.
    private func writeAccessRules() throws {
        let osUser = Self.currentUserName()
        try write(
            """
            # Written by Tally: only the OS users mapped in pg_ident.conf, only through
            # the socket in run/ (a folder only the server user may enter). No TCP at all.
            # TYPE  DATABASE  USER  METHOD
            local   all       all   peer map=tally

            """, to: dataDirectory.appendingPathComponent("pg_hba.conf"))
        try write(
            """
            # Written by Tally: the OS user who created this cluster may connect as
            # \(Self.userName) (Tally's own role) and \(Self.adminName) (the superuser, for set-up).
            # MAPNAME  SYSTEM-USERNAME  PG-USERNAME
            tally      "\(osUser)"  \(Self.userName)
            tally      "\(osUser)"  \(Self.adminName)

            """, to: dataDirectory.appendingPathComponent("pg_ident.conf"))
        let configurationFile = dataDirectory.appendingPathComponent("postgresql.conf")
        let configuration = try String(contentsOf: configurationFile, encoding: .utf8)
        try write(
            configuration + """

                # Added by Tally: reachable only through the socket in run/, by its owner.
                listen_addresses = ''
                unix_socket_directories = '\(socketDirectory.path)'
                unix_socket_permissions = 0700

                """, to: configurationFile)
    }

    private func ensureDatabase() throws {
        let admin = PostgresConfiguration(url: conninfo(database: "postgres", user: Self.adminName))
        let db = try PostgresConnection(configuration: admin)
        if try db.scalar("SELECT count(*) FROM pg_roles WHERE rolname = \(Self.userName)", as: Int.self) == 0 {
            try db.execute("CREATE ROLE \(identifier: Self.userName) LOGIN CREATEDB")
        }
        if try db.scalar("SELECT count(*) FROM pg_database WHERE datname = \(Self.databaseName)", as: Int.self) == 0 {
            try db.execute("CREATE DATABASE \(identifier: Self.databaseName) OWNER \(identifier: Self.userName)")
        }
    }

    /// Unix socket paths are limited to 107 bytes.
    private func checkSocketPath() throws {
        let path = socketDirectory.appendingPathComponent(".s.PGSQL.5432").path
        guard path.utf8.count <= 107 else {
            throw LocalClusterError(
                "the socket path \(path) is longer than Unix allows (107 bytes); move the project or set DATABASE_URL")
        }
        guard !root.path.contains("'") && !root.path.contains("\"") else {
            throw LocalClusterError("the local cluster path must not contain a quote: \(root.path)")
        }
    }

    private var isRoot: Bool { geteuid() == 0 }

    /// The server user's uid and gid, when Tally runs as root.
    private func serverUser() throws -> (uid: uid_t, gid: gid_t)? {
        guard isRoot else { return nil }
        guard let entry = getpwnam("postgres") else {
            throw LocalClusterError(
                "running as root, and there is no 'postgres' user to run the server as; install PostgreSQL with: apt-get install -y postgresql")
        }
        return (entry.pointee.pw_uid, entry.pointee.pw_gid)
    }

    /// Makes a file or folder Tally created private to the server user (as
    /// root, hands it to `postgres`). One path, never recursive.
    private func takeOver(_ path: String, directory: Bool) throws {
        if let user = try serverUser(), chown(path, user.uid, user.gid) != 0 {
            throw LocalClusterError("cannot give \(path) to the postgres user: \(String(cString: strerror(errno)))")
        }
        guard chmod(path, directory ? 0o700 : 0o600) == 0 else {
            throw LocalClusterError("cannot make \(path) private: \(String(cString: strerror(errno)))")
        }
    }

    /// Writes a file of Tally's own and makes it the server user's, mode 0600.
    private func write(_ text: String, to file: URL) throws {
        try text.write(to: file, atomically: false, encoding: .utf8)
        try takeOver(file.path, directory: false)
    }

    /// Re-closes the folder and socket folder on every start (a cluster's
    /// folders must stay 0700 even if someone opened them).
    private func closeFolders() throws {
        if !FileManager.default.fileExists(atPath: socketDirectory.path) {
            try FileManager.default.createDirectory(at: socketDirectory, withIntermediateDirectories: false)
            try takeOver(socketDirectory.path, directory: true)
        }
        for path in [root.path, socketDirectory.path] where chmod(path, 0o700) != 0 {
            throw LocalClusterError("cannot make \(path) private: \(String(cString: strerror(errno)))")
        }
    }

    /// As root, the server runs as `postgres`, which must be able to pass
    /// through every folder above the cluster.
    private func checkServerCanReach() throws {
        guard isRoot else { return }
        let result = try ChildProcess.run("/usr/sbin/runuser", ["-u", "postgres", "--", "/usr/bin/test", "-x", root.path])
        guard result.status != 0 else { return }
        var closed = root.deletingLastPathComponent()
        var ancestor = closed
        while ancestor.path != "/" {
            var info = stat()
            if stat(ancestor.path, &info) == 0 && info.st_mode & 0o001 == 0 { closed = ancestor }
            ancestor = ancestor.deletingLastPathComponent()
        }
        throw LocalClusterError(
            "the postgres user (which runs the server when Tally runs as root) cannot reach \(root.path): "
                + "\(closed.path) does not let other users through; allow it with chmod o+x '\(closed.path)' "
                + "or choose another folder with --dir or TALLY_DB_DIR")
    }

    private static func currentUserName() -> String {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return "\(geteuid())" }
        return String(cString: name)
    }

    private static func ownerName(of path: String) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { return "unknown" }
        guard let entry = getpwuid(info.st_uid), let name = entry.pointee.pw_name else { return "uid \(info.st_uid)" }
        return String(cString: name)
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
