import Foundation
import TallyCore
import TallyDatabase

/// How a server runs: limits, the clock, where it finds the issuer and the
/// migrations (for `/readyz`) and where request bodies are staged.
public struct ServerSettings: Sendable {
    /// Default request body limit: 16 MiB (`--max-body-bytes`, `TALLY_MAX_BODY_BYTES`).
    public static let defaultMaxBodyBytes = 16 * 1024 * 1024

    /// Bodies larger than this get 413 (chunked bodies too: bytes are counted as they arrive).
    public var maxBodyBytes = ServerSettings.defaultMaxBodyBytes
    /// Requests slower than this are logged as warnings (`--slow-request-ms`).
    public var slowRequestThreshold: Duration = .seconds(1)
    /// Dates audit entries, the ingest window and issue dates (`TALLY_NOW`).
    public var clock: TallyClock = .current
    /// The migrations this build knows: `/readyz` is 503 until every one is applied.
    public var migrationsDirectory: URL
    /// The rate card folder (`TALLY_RATES`, else `rates/`): an accepted quote writes its customer's card here, as the CLI does.
    public var ratesDirectory: URL
    /// The issuer invoices are made by (read for every run and finalize, as the CLI does).
    public var issuer: @Sendable () throws -> Issuer

    /// Settings from the project's folders (`config/issuer.yaml`, `migrations/`).
    public init(paths: ProjectPaths = .discover()) {
        migrationsDirectory = paths.migrationsDirectory()
        ratesDirectory = paths.ratesDirectory()
        issuer = { try paths.issuer() }
    }

    func migrations() throws -> [Migration] {
        try Migration.load(from: migrationsDirectory)
    }
}

/// Everything a route group needs: the database, the metrics and the settings.
public struct ServerEnvironment: Sendable {
    public let database: ServerDatabase
    public let metrics: TallyMetrics
    public let settings: ServerSettings
    /// Where usage requests wait to be ingested together (group commit).
    let usageQueue: UsageIngestQueue

    public init(database: ServerDatabase, metrics: TallyMetrics, settings: ServerSettings) {
        self.database = database
        self.metrics = metrics
        self.settings = settings
        self.usageQueue = UsageIngestQueue(database: database, settings: settings)
    }

    /// The audit actor of a request's key, dated by the server's clock.
    func actor(_ key: AuthenticatedKey) -> AuditActor {
        AuditActor(name: key.name, role: key.role.rawValue, clock: settings.clock)
    }
}
