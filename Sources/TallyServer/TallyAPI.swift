import Hummingbird
import Logging
import NIOCore
import TallyCore

/// Builds the HTTP API: the middlewares every request passes and the route
/// groups (one file and one `…Routes` struct per group; docs/api.md).
public enum TallyAPI {
    public static func router(_ environment: ServerEnvironment) -> Router<TallyRequestContext> {
        let router = Router(context: TallyRequestContext.self)
        // Outermost first: the id exists for every log line and problem; the
        // log and metrics see the final status, after problems are rendered.
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: RequestLogMiddleware(slowAfter: environment.settings.slowRequestThreshold))
        router.add(middleware: MetricsMiddleware(metrics: environment.metrics))
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: AuthenticationMiddleware(database: environment.database))

        // Route groups are registered here: add a new group as a
        // `struct XRoutes { …; func register(on: some RouterMethods<TallyRequestContext>) }`
        // in its own file (see InvoiceRoutes) and one line below. Each route
        // names its permission (`router.get(path, permission: .x) { … }`).
        HealthRoutes(environment: environment).register(on: router)
        UsageRoutes(environment: environment).register(on: router)
        InvoiceRoutes(environment: environment).register(on: router)
        InvoiceLifecycleRoutes(environment: environment).register(on: router)
        CustomerRoutes(environment: environment).register(on: router)
        RateCardRoutes(environment: environment).register(on: router)
        QuoteRoutes(environment: environment).register(on: router)
        ReportRoutes(environment: environment).register(on: router)
        OpenAPIRoutes().register(on: router)
        return router
    }

    /// The server application: `host:port` (port 0: any free port),
    /// `onServerRunning` told the bound address.
    public static func application(
        _ environment: ServerEnvironment, host: String, port: Int, logger: Logger,
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: router(environment),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: onServerRunning,
            logger: logger)
    }
}
