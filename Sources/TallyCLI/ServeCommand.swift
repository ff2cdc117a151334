import ArgumentParser
import Foundation
import Logging
import TallyCore
import TallyServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP API (usage ingest, invoices, health, metrics) until SIGTERM.",
        discussion: """
            Same database as every command (DATABASE_URL or the local cluster), migrated \
            on start. Callers authenticate with `Authorization: Bearer KEY` (keys from \
            `tally keys create`); /healthz and /readyz need none. Logs go to stderr, one \
            line per request with its id; the first line says "listening on HOST:PORT". \
            SIGTERM or SIGINT: stop accepting, finish requests in flight (at most 30 s), \
            exit 0. Endpoints, roles and errors: docs/api.md.

            EXAMPLES
              tally serve
              tally serve --host 0.0.0.0 --port 8080 --connections 8
              TALLY_MAX_BODY_BYTES=1048576 tally serve --port 0
            """)

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port (0: any free port, printed on stderr).") var port = 8080
    @Option(help: "Largest request body in bytes (default: TALLY_MAX_BODY_BYTES or 16777216).") var maxBodyBytes: Int?
    @Option(help: "Most database connections at once.") var connections = 8
    @Option(help: "trace, debug, info (one line per request), notice, warning, error or critical.") var logLevel = "info"
    @Option(help: "Log requests slower than this many milliseconds as warnings (shown at --log-level warning).") var slowRequestMs = 1000

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535, got \(port)") }
        guard connections >= 1 else { throw ValidationError("--connections must be at least 1, got \(connections)") }
        guard slowRequestMs >= 1 else { throw ValidationError("--slow-request-ms must be at least 1, got \(slowRequestMs)") }
        if let maxBodyBytes, maxBodyBytes < 1 { throw ValidationError("--max-body-bytes must be at least 1, got \(maxBodyBytes)") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")), got '\(logLevel)'")
        }
    }

    func run() async throws {
        let target = DatabaseTarget()
        var settings = ServerSettings(paths: target.paths)
        settings.maxBodyBytes = try maxBodyBytes ?? Self.environmentLimit() ?? ServerSettings.defaultMaxBodyBytes
        settings.slowRequestThreshold = .milliseconds(slowRequestMs)
        let configuration = try target.configuration()
        _ = try target.migratedConnection()
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "tally.serve")
        try await TallyServerRunner.run(
            database: configuration, connections: connections, host: host, port: port, settings: settings, logger: logger
        ) { host, port in
            Terminal.note("listening on \(host):\(port)")
        }
    }

    static func environmentLimit() throws -> Int? {
        guard let text = ProcessInfo.processInfo.environment["TALLY_MAX_BODY_BYTES"] else { return nil }
        guard let value = Int(text), value >= 1 else {
            throw ValidationError("TALLY_MAX_BODY_BYTES must be a whole number of bytes, at least 1, got '\(text)'")
        }
        return value
    }
}
