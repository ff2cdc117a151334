import Hummingbird
import Logging
import Synchronization
import TallyCore
import TallyDatabase

/// What the server knows about one request on its way through the
/// middlewares to a route: its id (echoed as `X-Request-Id`, in every log
/// line and problem) and the API key that called, if any.
public struct TallyRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The request's id: the caller's `X-Request-Id` when it is sane, else a fresh one.
    public var requestID: String = ""
    /// What the `Authorization` header proved (set by ``AuthenticationMiddleware``).
    public var credential: Credential = .none
    /// What a route tells the middlewares above it (the context itself is a value).
    public let state = RequestState()

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }

    /// The caller, once ``require(_:)`` let it through.
    public var key: AuthenticatedKey? {
        if case .key(let key) = credential { return key }
        return nil
    }

    /// The unauthorized or forbidden problem for `key` (nil: unknown or
    /// revoked) where `permission` is needed, or nil when it may.
    public static func refusal(of key: AuthenticatedKey?, for permission: Permission) -> Problem? {
        guard let key else { return Problem.unauthorized("the API key is unknown or revoked") }
        guard key.role.allows(permission) else {
            return Problem(status: .forbidden, code: "auth.forbidden",
                           detail: "the key '\(key.name)' has role \(key.role.rawValue), which may not do this (needs \(permission.rawValue))")
        }
        return nil
    }

    /// The key calling, if its role allows `permission`: else 401 (no key, or
    /// one that is unknown or revoked) or 403 (a valid key of the wrong role).
    @discardableResult
    public func require(_ permission: Permission) throws -> AuthenticatedKey {
        switch credential {
        case .none:
            throw Problem.unauthorized("this endpoint needs an API key: send `Authorization: Bearer KEY` (see `tally keys create`)")
        case .invalid:
            throw Self.refusal(of: nil, for: permission)!
        case .unverified:
            // Only the usage ingest route is given an unverified key, and it
            // checks the key itself (``AuthenticationMiddleware``).
            throw Problem.internalError
        case .key(let key):
            if let refusal = Self.refusal(of: key, for: permission) { throw refusal }
            return key
        }
    }
}

/// An API key that authenticated a request: its name and role (never its secret).
public struct AuthenticatedKey: Sendable, Hashable {
    public var name: String
    public var role: Role

    public init(name: String, role: Role) {
        self.name = name
        self.role = role
    }

    /// A live key as ``ApiKeyStore`` found it.
    init(_ key: ApiKey) {
        self.init(name: key.name, role: key.role)
    }
}

/// What the request's `Authorization` header amounts to.
public enum Credential: Sendable, Hashable {
    /// No `Authorization` header.
    case none
    /// A header that names no live key (malformed, unknown or revoked).
    case invalid
    /// A key shaped like one, not yet looked up: its SHA-256 (never the
    /// secret). Only `POST /v1/usage/events` gets this: it looks the key up
    /// in the transaction that stores the events (``AuthenticationMiddleware``).
    case unverified(digest: String)
    case key(AuthenticatedKey)
}

/// What is learnt inside the router and read by the middlewares outside it
/// (which hold an earlier copy of the context): the matched route pattern.
/// One per request.
public final class RequestState: Sendable {
    private let matched = Mutex<String?>(nil)

    public init() {}

    /// The route pattern (`/v1/invoices/{number}`), once a route matched.
    public var route: String? {
        get { matched.withLock { $0 } }
        set { matched.withLock { $0 = newValue } }
    }
}
