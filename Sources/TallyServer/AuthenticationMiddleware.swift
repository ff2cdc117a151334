import Foundation
import HTTPTypes
import Hummingbird
import TallyDatabase

/// Reads `Authorization: Bearer KEY` and looks the key up, on every request
/// that carries one (no cache: a revoked key fails from the next request
/// on). It only records what the header proves (``Credential``); each route
/// says what it needs with ``TallyRequestContext/require(_:)``, so public
/// routes and unknown paths are not refused here. The key is never logged.
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
            if let key = try await database.run({ db in try ApiKeyStore(db).authenticate(secret) }) {
                context.credential = .key(AuthenticatedKey(name: key.name, role: key.role))
            }
        }
        return try await next(request, context)
    }
}
