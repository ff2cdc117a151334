import Foundation

/// Where Tally finds its files: the project root (the folder with
/// `Package.swift` and `migrations/`), its migrations and its local database.
public struct ProjectPaths: Sendable {
    public let root: URL

    public init(root: URL) {
        self.root = root
    }

    /// The project containing the current directory, else the one containing
    /// the `tally` executable (`.build/debug/tally`), else the current directory.
    public static func discover(environment: [String: String] = ProcessInfo.processInfo.environment) -> ProjectPaths {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let fromCWD = LocalCluster.projectRoot(from: cwd)
        if fromCWD.path != cwd.standardizedFileURL.path || isProject(cwd) {
            return ProjectPaths(root: fromCWD)
        }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let fromExecutable = LocalCluster.projectRoot(from: executable.deletingLastPathComponent())
        if isProject(fromExecutable) { return ProjectPaths(root: fromExecutable) }
        return ProjectPaths(root: cwd)
    }

    private static func isProject(_ url: URL) -> Bool {
        FileManager.default.fileExists(atPath: url.appendingPathComponent("migrations").path)
    }

    /// `TALLY_MIGRATIONS` when set, else `migrations/` in the project.
    public func migrationsDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let dir = environment["TALLY_MIGRATIONS"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        return root.appendingPathComponent("migrations")
    }

    /// `TALLY_CONFIG` when set, else `config/` in the project (it holds `issuer.yaml`).
    public func configDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let dir = environment["TALLY_CONFIG"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        return root.appendingPathComponent("config")
    }

    /// `TALLY_RATES` when set, else `rates/` in the project (rate cards, `tax/`).
    public func ratesDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let dir = environment["TALLY_RATES"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        return root.appendingPathComponent("rates")
    }

    /// Says where a missing project folder or file was looked for and how to
    /// point Tally elsewhere: a command run outside the project must not fail
    /// with a bare "no such file".
    public func missing(_ what: String, at path: String, variable: String) -> String {
        "\(what) not found: looked for \(path) (project folder \(root.path)); run tally inside the project "
            + "(the folder with migrations/, config/ and rates/) or set \(variable) to the folder that holds it"
    }

    /// `TALLY_DB_DIR` when set, else `.tally/` in the project.
    public func localClusterDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let dir = environment["TALLY_DB_DIR"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        return root.appendingPathComponent(".tally")
    }
}
