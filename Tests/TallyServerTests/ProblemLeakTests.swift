import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TallyCore
import TallyPostgres
import TallyServer
import TallyTesting

/// No response carries SQL text, a table's row or a Swift error dump: a route
/// that hits a real database error answers a problem with a generic detail.
@Suite("Problems never leak")
struct ProblemLeakTests {
    @Test func databaseErrorsBecomeGenericProblems() async throws {
        try await TestDatabase.withSchema { pool, _ in
            var settings = ServerSettings()
            settings.migrationsDirectory = TestDatabase.migrationsDirectory
            let metrics = TallyMetrics()
            let database = ServerDatabase(pool: pool, metrics: metrics)
            let environment = ServerEnvironment(database: database, metrics: metrics, settings: settings)
            let router = TallyAPI.router(environment)
            router.get("/test/missing-table", permission: nil) { _, _ -> String in
                try await database.run { db in _ = try db.execute("SELECT secret_column FROM secret_table_xyz") }
                return "unreachable"
            }
            router.get("/test/bad-value", permission: nil) { _, _ -> String in
                try await database.run { db in _ = try db.execute("SELECT 'not-a-number-xyz'::numeric") }
                return "unreachable"
            }
            router.get("/test/bug", permission: nil) { _, _ -> String in
                struct Bug: Error { let secret = "hunter2-xyz" }
                throw Bug()
            }
            var logger = Logger(label: "tally.test")
            logger.logLevel = .critical
            try await Application(router: router, logger: logger).test(.router) { client in
                for (path, status, code) in [
                    ("/test/missing-table", 500, "internal"), ("/test/bad-value", 400, "input.invalid"), ("/test/bug", 500, "internal"),
                ] {
                    let response = try await client.execute(uri: path, method: .get)
                    #expect(response.status.code == status, "\(path)")
                    #expect(response.object["code"] as? String == code, "\(path)")
                    #expect(response.headers[.contentType] == "application/problem+json")
                    #expect(!response.text.contains("xyz") && !response.text.contains("SELECT") && !response.text.contains("secret"), "\(response.text)")
                }
            }
        }
    }
}
