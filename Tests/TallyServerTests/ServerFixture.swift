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

/// A server on a fresh schema with one priced card, customers and one key
/// per role, tested in Hummingbird's router mode (no sockets).
enum ServerFixture {
    static let cards = """
        card: usd
        currency: USD
        versions:
          - effective_from: 2026-10-01T00:00:00Z
            models:
              m: { input: 1.00, cached_input: 0.10, output: 2.00 }
        """
    static let taxes = """
        tax_rates:
          - { country: US, effective_from: 2000-01-01, percent: 0, name: Sales tax }
          - { country: DE, effective_from: 2007-01-01, percent: 19, name: USt }
        """
    static let customers = """
        id,name,billing_email,country,vat_id,tax_treatment,currency,card
        acme,Acme AI,billing@acme.ai,US,,standard,USD,usd
        berlin,Berlin GmbH,rechnung@berlin.de,DE,,standard,USD,usd
        """

    static func event(_ id: String, _ customer: String = "acme", _ at: String = "2026-11-02T10:00:00Z", input: Int = 1000, output: Int = 500) -> String {
        #"{"id":"\#(id)","customer":"\#(customer)","model":"m","timestamp":"\#(at)","input_tokens":\#(input),"cached_input_tokens":0,"output_tokens":\#(output),"site":"s1"}"#
    }

    /// Secrets of the keys made for a test, by role.
    struct Keys: Sendable {
        var byRole: [Role: String] = [:]
        func bearer(_ role: Role) -> HTTPFields { [.authorization: "Bearer \(byRole[role]!)"] }
    }

    /// Loads the catalogue into a fresh schema (cards, taxes, customers).
    static func load(_ pool: ConnectionPool) async throws {
        let temp = try TemporaryFiles(["rates/usd.yaml": cards, "tax.yaml": taxes, "customers.csv": customers])
        defer { temp.remove() }
        try await pool.withConnection { db in
            let (loaded, problems) = RateCardFile.parseAll(path: temp.path("rates"))
            precondition(problems.isEmpty, "\(problems)")
            _ = try RateCardStore(db).load(loaded)
            try TaxRateStore(db).load(TaxRateFile.parseAll(path: temp.path("tax.yaml")).rates)
            _ = try CustomerStore(db).importFile(temp.path("customers.csv"))
        }
    }

    static let actor = AuditActor(name: "test", role: "cli", clock: .fixed(at: TestClock.now))

    static func withServer<T: Sendable>(
        maxBodyBytes: Int = ServerSettings.defaultMaxBodyBytes,
        slowRequestThreshold: Duration = .seconds(1),
        logHandler: (any LogHandler)? = nil,
        _ body: @Sendable (any TestClientProtocol, Keys, ConnectionPool) async throws -> T
    ) async throws -> T {
        try await TestDatabase.withSchema { pool, _ in
            try await load(pool)
            let keys = try await pool.withConnection { db in
                var keys = Keys()
                for role in Role.allCases {
                    keys.byRole[role] = try ApiKeyStore(db).create(name: "k-\(role.rawValue)", role: role, audit: actor).secret
                }
                return keys
            }
            var settings = ServerSettings()
            settings.migrationsDirectory = TestDatabase.migrationsDirectory
            settings.issuer = { Issuer.test }
            settings.clock = .fixed(at: TestClock.now)
            settings.maxBodyBytes = maxBodyBytes
            settings.slowRequestThreshold = slowRequestThreshold
            let metrics = TallyMetrics()
            let environment = ServerEnvironment(database: ServerDatabase(pool: pool, metrics: metrics), metrics: metrics, settings: settings)
            var logger = logHandler.map { handler in Logger(label: "tally.test", factory: { _ in handler }) } ?? Logger(label: "tally.test")
            logger.logLevel = .warning
            let app = Application(router: TallyAPI.router(environment), logger: logger)
            return try await app.test(.router) { client in try await body(client, keys, pool) }
        }
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    /// The body as a JSON object (small test bodies; no money is read from it as a number).
    var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }
}

extension ByteBuffer {
    static func text(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
}
