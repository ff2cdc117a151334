import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals
import TallyPostgres
import TallyPresentation

/// Runs the server until SIGTERM or SIGINT (`tally serve`): the application
/// in a ``ServiceGroup`` that, on either signal, stops accepting connections
/// and lets requests in flight finish (each commits or rolls back its own
/// transaction) for at most ``shutdownTimeout``, then closes the pool.
public enum TallyServerRunner {
    public static let shutdownTimeout: Duration = .seconds(30)

    /// `connections`: the most database connections the pool opens.
    /// `listening` is told the bound address (`--port 0` picks a free port).
    public static func run(
        database configuration: PostgresConfiguration, connections: Int, host: String, port: Int, settings: ServerSettings,
        logger: Logger, listening: @escaping @Sendable (String, Int) -> Void
    ) async throws {
        let pool = ConnectionPool(configuration: configuration, maximumConnections: connections)
        let metrics = TallyMetrics()
        let environment = ServerEnvironment(database: ServerDatabase(pool: pool, metrics: metrics), metrics: metrics, settings: settings)
        let app = TallyAPI.application(environment, host: host, port: port, logger: logger) { channel in
            let bound = channel.localAddress?.port ?? port
            listening(host, bound)
        }
        var group = ServiceGroupConfiguration(services: [.init(service: app)], logger: logger)
        group.gracefulShutdownSignals = [.sigterm, .sigint]
        group.maximumGracefulShutdownDuration = shutdownTimeout
        do {
            try await ServiceGroup(configuration: group).run()
        } catch let error as IOError {
            await pool.close()
            throw ListenError(host: host, port: port, reason: error.description)
        } catch {
            await pool.close()
            throw error
        }
        await pool.close()
    }
}

/// The server could not listen (the port is taken, the address is not this
/// machine's): `server.listen`, unavailable (exit 4), saying which address.
public struct ListenError: Error, CodedError {
    public var host: String
    public var port: Int
    public var reason: String

    public var errorKind: ErrorKind { .unavailable }
    public var errorCode: String { "server.listen" }
    public var errorMessage: String {
        "cannot listen on \(host):\(port) (\(reason)); is another server using it? choose --port, or --port 0 for any free port"
    }
    public var errorDetails: [String: JSONValue] { ["host": .text(host), "port": .number(port)] }
}
