import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TallyCore
import TallyDatabase
import TallyPostgres
import TallyServer
import TallyTesting

/// Roles, keys, readiness and the JSON array splitter: the rules under the routes.
@Suite("Access and readiness")
struct AccessTests {
    @Test func rolesAllowWhatTheIssueSays() {
        #expect(Role.ingest.allows(.usageWrite))
        #expect(Permission.allCases.filter { Role.ingest.allows($0) } == [.usageWrite])
        #expect(Permission.allCases.allSatisfy { Role.admin.allows($0) })
        #expect(Role.ops.allows(.metrics) && Role.ops.allows(.invoicesRead) && Role.ops.allows(.reportsRead))
        #expect(!Role.ops.allows(.invoicesWrite) && !Role.ops.allows(.usageWrite) && !Role.ops.allows(.keys))
        #expect(Role.finance.allows(.invoicesWrite) && Role.finance.allows(.customersWrite) && !Role.finance.allows(.metrics))
        #expect(Role.sales.allows(.quotesWrite) && Role.sales.allows(.ratesRead) && Role.sales.allows(.customersRead))
        #expect(!Role.sales.allows(.customersWrite) && !Role.sales.allows(.invoicesRead))
        #expect(throws: KeyError.self) { try Role(parsing: "root") }
    }

    @Test func keysAreHashedNamedOnceAndRevokedOnce() async throws {
        try await TestDatabase.withSchema { pool, _ in
            try await pool.withConnection { db in
                let store = ApiKeyStore(db)
                let (key, secret) = try store.create(name: "fleet", role: .ingest, audit: ServerFixture.actor)
                #expect(key.role == .ingest)
                #expect(secret.range(of: "^tally_[0-9a-f]{64}$", options: .regularExpression) != nil)
                let stored = try db.scalar("SELECT key_hash FROM api_keys WHERE name = 'fleet'", as: String.self)
                #expect(stored != secret && !stored.contains(secret))
                #expect(try store.authenticate(secret)?.name == "fleet")
                #expect(try store.authenticate(secret + "0") == nil)
                #expect(try store.authenticate("tally_" + String(repeating: "a", count: 64)) == nil)
                #expect(throws: KeyError.self) { try store.create(name: "fleet", role: .admin, audit: ServerFixture.actor) }
                #expect(throws: KeyError.self) { try store.create(name: "no spaces", role: .admin, audit: ServerFixture.actor) }
                try store.revoke(name: "fleet", audit: ServerFixture.actor)
                #expect(try store.authenticate(secret) == nil)
                #expect(throws: KeyError.self) { try store.revoke(name: "fleet", audit: ServerFixture.actor) }
                #expect(throws: KeyError.self) { try store.revoke(name: "nobody", audit: ServerFixture.actor) }
                #expect(try store.list().map(\.name) == ["fleet"])
                #expect(try store.list().first?.revokedAt == TestClock.now)
                let audit = try AuditStore(db).list().map { "\($0.action) \($0.target)" }
                #expect(audit == ["keys.create fleet", "keys.revoke fleet"])
            }
        }
    }

    @Test func notReadyUntilMigrated() async throws {
        try await TestDatabase.withSchema(migrated: false) { pool, _ in
            var settings = ServerSettings()
            settings.migrationsDirectory = TestDatabase.migrationsDirectory
            let metrics = TallyMetrics()
            let environment = ServerEnvironment(database: ServerDatabase(pool: pool, metrics: metrics), metrics: metrics, settings: settings)
            var logger = Logger(label: "tally.test")
            logger.logLevel = .critical
            let app = Application(router: TallyAPI.router(environment), logger: logger)
            try await app.test(.router) { client in
                let ready = try await client.execute(uri: "/readyz", method: .get)
                #expect(ready.status == .serviceUnavailable)
                #expect(ready.object["code"] as? String == "migration.pending")
                #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            }
        }
    }

    @Test func strictRejectsUnknownKeys() async throws {
        try await ServerFixture.withServer { client, keys, _ in
            let event = ServerFixture.event("u1").replacingOccurrences(of: "}", with: #","output_token":5}"#)
            var headers = keys.bearer(.ingest)
            headers[.contentType] = "application/x-ndjson"
            let strict = try await client.execute(uri: "/v1/usage/events?strict=true", method: .post, headers: headers, body: .text(event))
            #expect(strict.object["rejected"] as? Int == 1)
            let lenient = try await client.execute(uri: "/v1/usage/events", method: .post, headers: headers, body: .text(event))
            #expect(lenient.object["accepted"] as? Int == 1)
        }
    }
}
