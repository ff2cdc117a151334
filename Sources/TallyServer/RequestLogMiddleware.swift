import Foundation
import Hummingbird
import Logging

/// One structured log line per request: method, path (without the query,
/// which may carry names), status, duration in milliseconds; the request id
/// comes from the logger's metadata. Headers are never logged (the
/// `Authorization` header holds a key).
///
/// A request that took longer than ``slowAfter`` is logged as a warning
/// ("slow request"), so a server run at `--log-level warning` still shows
/// when and where its latency went (that is how per-request temporary files
/// were found stalling every request every 5 s).
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = TallyRequestContext

    let slowAfter: Duration

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        var metadata: Logger.Metadata = [
            "method": .string(request.method.rawValue), "path": .string(request.uri.path),
            "status": .stringConvertible(response.status.code), "duration_ms": .string("\(micros / 1000).\(String(format: "%03d", Int(micros % 1000)))"),
        ]
        if let key = context.key { metadata["key"] = .string(key.name) }
        if elapsed > slowAfter {
            context.logger.warning("slow request", metadata: metadata)
        } else {
            context.logger.info("request", metadata: metadata)
        }
        return response
    }
}
