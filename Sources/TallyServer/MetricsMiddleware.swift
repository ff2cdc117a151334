import Hummingbird

/// Counts every request by route pattern and status and times it. Unknown
/// paths count under the route `unknown`, so a scanner cannot grow the label set.
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = TallyRequestContext
    let metrics: TallyMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        // The route is known only inside the router: the route's wrapper notes it in the shared state.
        let route = context.state.route ?? "unknown"
        metrics.request(method: request.method.rawValue, route: route, status: response.status.code, duration: ContinuousClock.now - start)
        return response
    }
}
