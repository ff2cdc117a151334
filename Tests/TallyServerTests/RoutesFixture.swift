import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import TallyCore
import TallyDatabase
import TallyPostgres
import TallyServer
import TallyTesting

/// The route groups' tests: ``ServerFixture``'s catalogue and keys, with the
/// rates folder a temporary copy of the catalogue's card (quote acceptance
/// writes card files there, never into the repository's `rates/`).
enum RoutesFixture {
    static let json: HTTPFields = [.contentType: "application/json"]

    static func withServer<T: Sendable>(
        _ body: @Sendable (any TestClientProtocol, ServerFixture.Keys, ConnectionPool, TemporaryFiles) async throws -> T
    ) async throws -> T {
        let rates = try TemporaryFiles(["rates/usd.yaml": ServerFixture.cards])
        defer { rates.remove() }
        return try await TestDatabase.withSchema { pool, _ in
            try await ServerFixture.load(pool)
            let keys = try await pool.withConnection { db in
                var keys = ServerFixture.Keys()
                for role in Role.allCases {
                    keys.byRole[role] = try ApiKeyStore(db).create(name: "k-\(role.rawValue)", role: role, audit: ServerFixture.actor).secret
                }
                return keys
            }
            var settings = ServerSettings()
            settings.migrationsDirectory = TestDatabase.migrationsDirectory
            settings.ratesDirectory = URL(fileURLWithPath: rates.path("rates"))
            settings.issuer = { Issuer.test }
            settings.clock = .fixed(at: TestClock.now)
            let metrics = TallyMetrics()
            let environment = ServerEnvironment(database: ServerDatabase(pool: pool, metrics: metrics), metrics: metrics, settings: settings)
            var logger = Logger(label: "tally.test")
            logger.logLevel = .warning
            let app = Application(router: TallyAPI.router(environment), logger: logger)
            return try await app.test(.router) { client in try await body(client, keys, pool, rates) }
        }
    }

    /// `headers` of `role`'s key, with a JSON content type.
    static func json(_ keys: ServerFixture.Keys, _ role: Role) -> HTTPFields {
        var fields = keys.bearer(role)
        fields.append(contentsOf: json)
        return fields
    }

    /// Ingests a few events of November 2026 for both customers, runs and
    /// finalizes the month (issued on 1 December): INV-2026-000001 (acme)
    /// and INV-2026-000002 (berlin).
    static func issueNovember(_ client: some TestClientProtocol, _ keys: ServerFixture.Keys) async throws {
        let events = [ServerFixture.event("e1"), ServerFixture.event("e2", "berlin"), ServerFixture.event("e3", input: 2_000_000)]
            .joined(separator: "\n")
        var ndjson = keys.bearer(.ingest)
        ndjson[.contentType] = "application/x-ndjson"
        let ingest = try await client.execute(uri: "/v1/usage/events", method: .post, headers: ndjson, body: ByteBuffer(string: events))
        precondition(ingest.status == .ok, String(buffer: ingest.body))
        let run = try await client.execute(uri: "/v1/invoice-runs", method: .post, headers: json(keys, .finance),
                                           body: ByteBuffer(string: #"{"period":"2026-11"}"#))
        precondition(run.status == .ok, String(buffer: run.body))
        let finalize = try await client.execute(uri: "/v1/invoices/finalize", method: .post, headers: json(keys, .finance),
                                                body: ByteBuffer(string: #"{"period":"2026-11","date":"2026-12-01"}"#))
        precondition(finalize.status == .ok, String(buffer: finalize.body))
    }

    /// The audit log as `action target actor role` lines.
    static func audit(_ pool: ConnectionPool) async throws -> [String] {
        try await pool.withConnection { db in try AuditStore(db).list().map { "\($0.action) \($0.target) \($0.actor) \($0.role)" } }
    }
}
