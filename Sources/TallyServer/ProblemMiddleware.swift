import Hummingbird
import Logging

/// Turns every error thrown below it (routes, authentication, unknown
/// paths) into a problem detail. An unexpected error is logged in full,
/// with the request id, and answered with a generic 500.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = TallyRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            if let problem = Problem.classify(error) {
                if problem.status.code >= 500 {
                    context.logger.error("request failed", metadata: ["code": .string(problem.code), "error": .string(String(describing: error))])
                }
                return problem.response(requestID: context.requestID)
            }
            context.logger.error("unexpected error", metadata: ["error": .string(String(reflecting: error))])
            return Problem.internalError.response(requestID: context.requestID)
        }
    }
}
