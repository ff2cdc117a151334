import Foundation
import HTTPTypes
import Hummingbird
import TallyDatabase

/// Reads `Authorization: Bearer KEY` and looks the key up, on every request
/// that carries one (no cache: a revoked key fails from the next request
/// on). It only records what the header proves (``Credential``); each route
/// says what it needs with ``TallyRequestContext/require(_:)``, so public
/// routes and unknown paths are not refused here. The key is never logged.
///
/// One route is the exception: `POST /v1/usage/events`, the hot path of the
/// serving fleet, gets the key's digest unverified, and its ingest looks up
/// the keys of all the requests it groups in one statement of the
/// transaction that stores their events (``UsageIngestQueue``): as strict
/// about revocation, without a query and two thread hops per request.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = TallyRequestContext
    let database: ServerDatabase

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { return try await next(request, context) }
        var context = context
        context.credential = .invalid
        let scheme = "bearer "
        if header.utf8.count > scheme.utf8.count, header.prefix(scheme.count).lowercased() == scheme {
            let secret = String(header.dropFirst(scheme.count)).trimmingCharacters(in: .whitespaces)
            if let digest = ApiKeyStore.digest(of: secret) {
                if request.method == .post && request.uri.path == UsageRoutes.eventsPath {
                    context.credential = .unverified(digest: digest)
                } else if let key = try await Self.verify(digest, database: database) {
                    context.credential = .key(key)
                }
            }
        }
        return try await next(request, context)
    }

    /// The live key whose digest is `digest`, or nil (one statement).
    static func verify(_ digest: String, database: ServerDatabase) async throws -> AuthenticatedKey? {
        try await database.run { db in try ApiKeyStore(db).liveKeys(digests: [digest])[digest] }.map(AuthenticatedKey.init)
    }
}
