import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization
import Testing
import TallyCore
import TallyDatabase
import TallyPostgres
import TallyTesting

/// The real `tally serve` binary (built by `swift build` before the tests)
/// on a free port against a fresh schema: a key from `tally keys create`,
/// usage over HTTP, a month run and finalized, its CII invoice fetched,
/// then SIGTERM and exit 0.
@Suite("Serve binary")
struct ServeBinaryTests {
    static let binary = TestDatabase.projectRoot.appendingPathComponent(".build/debug/tally").path

    /// What the child process needs: the test's database, the test's instant.
    static func environment(_ configuration: PostgresConfiguration) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = configuration.url
        environment["TALLY_NOW"] = TestClock.now.description
        return environment
    }

    /// A fresh database for `body` (a child process cannot be given a
    /// schema: the connection's own options replace `PGOPTIONS`), migrated
    /// by the binary itself, dropped afterwards.
    static func withDatabase(_ body: (ConnectionPool, PostgresConfiguration) async throws -> Void) async throws {
        let server = try TestDatabase.server()
        let name = "tally_e2e_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        let admin = try await SerialConnection.connect(server)
        _ = try await admin.run { db in try db.execute("CREATE DATABASE \(identifier: name)") }
        var configuration = server
        configuration.url = server.url.hasPrefix("postgres") ? Self.replacingDatabase(in: server.url, with: name) : server.url + " dbname=\(name)"
        let pool = ConnectionPool(configuration: configuration, maximumConnections: 2)
        do {
            try await body(pool, configuration)
        } catch {
            await pool.close()
            _ = try? await admin.run { db in try db.execute("DROP DATABASE \(identifier: name) WITH (FORCE)") }
            await admin.close()
            throw error
        }
        await pool.close()
        _ = try await admin.run { db in try db.execute("DROP DATABASE \(identifier: name) WITH (FORCE)") }
        await admin.close()
    }

    /// `postgresql://u@h:5432/db?x=y` with another database name.
    static func replacingDatabase(in url: String, with name: String) -> String {
        guard var components = URLComponents(string: url) else { return url }
        components.path = "/" + name
        return components.string ?? url
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: binary), "needs .build/debug/tally (swift build)"))
    func ingestRunFinalizeAndFetchACIIInvoiceThenStopOnSIGTERM() async throws {
        try await Self.withDatabase { pool, configuration in
            let environment = Self.environment(configuration)
            let migrations = try Migration.load(from: TestDatabase.migrationsDirectory)
            _ = try await pool.withConnection { db in try Migrator(migrations: migrations).migrate(db) }
            try await ServerFixture.load(pool)

            let create = Process()
            create.executableURL = URL(fileURLWithPath: Self.binary)
            create.arguments = ["keys", "create", "--name", "e2e", "--role", "admin"]
            create.environment = environment
            create.currentDirectoryURL = TestDatabase.projectRoot
            let out = Pipe()
            create.standardOutput = out
            create.standardError = Pipe()
            try create.run()
            let printed = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            create.waitUntilExit()
            #expect(create.terminationStatus == 0)
            let key = try #require(printed.split(separator: "\n").last.map(String.init))
            #expect(key.hasPrefix("tally_"))

            let server = Process()
            server.executableURL = URL(fileURLWithPath: Self.binary)
            server.arguments = ["serve", "--port", "0", "--connections", "2"]
            server.environment = environment
            server.currentDirectoryURL = TestDatabase.projectRoot
            let log = Mutex("")
            let errors = Pipe()
            server.standardError = errors
            server.standardOutput = Pipe()
            errors.fileHandleForReading.readabilityHandler = { handle in
                let data = handle.availableData
                log.withLock { $0 += String(decoding: data, as: UTF8.self) }
            }
            try server.run()
            defer { if server.isRunning { server.terminate() } }

            var port: Int?
            for _ in 0..<600 where port == nil {
                port = log.withLock { text in
                    text.range(of: #"listening on 127\.0\.0\.1:(\d+)"#, options: .regularExpression).flatMap { Int(text[$0].split(separator: ":").last!) }
                }
                if port == nil { try await Task.sleep(for: .milliseconds(100)) }
            }
            let bound = try #require(port, "the server never said where it listens: \(log.withLock { $0 })")
            let base = "http://127.0.0.1:\(bound)"

            func call(_ method: String, _ path: String, type: String? = nil, accept: String? = nil, body: String? = nil) async throws -> (Int, String) {
                var request = URLRequest(url: URL(string: base + path)!)
                request.httpMethod = method
                request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
                if let type { request.setValue(type, forHTTPHeaderField: "Content-Type") }
                if let accept { request.setValue(accept, forHTTPHeaderField: "Accept") }
                request.httpBody = body.map { Data($0.utf8) }
                let (data, response) = try await URLSession.shared.data(for: request)
                return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
            }

            let events = [ServerFixture.event("h1"), ServerFixture.event("h2", "berlin"), ServerFixture.event("h3")].joined(separator: "\n")
            let (ingested, summary) = try await call("POST", "/v1/usage/events", type: "application/x-ndjson", body: events)
            #expect(ingested == 200)
            #expect(summary.contains(#""accepted":3"#))
            let (ran, _) = try await call("POST", "/v1/invoice-runs", type: "application/json", body: #"{"period":"2026-11"}"#)
            #expect(ran == 200)
            let (finalized, numbers) = try await call("POST", "/v1/invoices/finalize", type: "application/json", body: #"{"period":"2026-11","date":"2026-12-01"}"#)
            #expect(finalized == 200)
            let number = try #require(numbers.range(of: #"INV-\d{4}-\d{6}"#, options: .regularExpression).map { String(numbers[$0]) })
            let (shown, xml) = try await call("GET", "/v1/invoices/\(number)", accept: "application/xml")
            #expect(shown == 200)
            #expect(xml.contains("CrossIndustryInvoice"))
            #expect(xml.contains(number))

            server.terminate()  // SIGTERM
            for _ in 0..<300 where server.isRunning { try await Task.sleep(for: .milliseconds(100)) }
            #expect(!server.isRunning)
            #expect(server.terminationReason == .exit)
            #expect(server.terminationStatus == 0)
            errors.fileHandleForReading.readabilityHandler = nil
            #expect(!log.withLock { $0 }.contains(key), "the key must never be logged")
        }
    }
}
