import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals
import TallyPostgres

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
        } catch {
            await pool.close()
            throw error
        }
        await pool.close()
    }
}
