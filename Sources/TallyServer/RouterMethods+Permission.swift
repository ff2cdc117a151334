import HTTPTypes
import Hummingbird
import TallyCore

extension RouterMethods where Context == TallyRequestContext {
    /// Registers a route that needs `permission` (nil: public, no key). The
    /// wrapper notes the route pattern for metrics and checks the key before
    /// the handler runs: 401 without a valid key, 403 with the wrong role.
    @discardableResult
    public func on(
        _ path: RouterPath, method: HTTPRequest.Method, permission: Permission?,
        use handler: @Sendable @escaping (Request, Context) async throws -> some ResponseGenerator
    ) -> Self {
        on(path, method: method) { request, context in
            context.state.route = context.endpointPath
            if let permission { try context.require(permission) }
            return try await handler(request, context)
        }
    }

    @discardableResult
    public func get(
        _ path: RouterPath, permission: Permission?, use handler: @Sendable @escaping (Request, Context) async throws -> some ResponseGenerator
    ) -> Self {
        on(path, method: .get, permission: permission, use: handler)
    }

    @discardableResult
    public func post(
        _ path: RouterPath, permission: Permission?, use handler: @Sendable @escaping (Request, Context) async throws -> some ResponseGenerator
    ) -> Self {
        on(path, method: .post, permission: permission, use: handler)
    }

    @discardableResult
    public func put(
        _ path: RouterPath, permission: Permission?, use handler: @Sendable @escaping (Request, Context) async throws -> some ResponseGenerator
    ) -> Self {
        on(path, method: .put, permission: permission, use: handler)
    }

    @discardableResult
    public func patch(
        _ path: RouterPath, permission: Permission?, use handler: @Sendable @escaping (Request, Context) async throws -> some ResponseGenerator
    ) -> Self {
        on(path, method: .patch, permission: permission, use: handler)
    }

    @discardableResult
    public func delete(
        _ path: RouterPath, permission: Permission?, use handler: @Sendable @escaping (Request, Context) async throws -> some ResponseGenerator
    ) -> Self {
        on(path, method: .delete, permission: permission, use: handler)
    }
}
