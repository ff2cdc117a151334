import Hummingbird
import NIOCore
import TallyPresentation
import TallyCore
import TallyDatabase

/// `GET /healthz` (the process answers), `GET /readyz` (the database
/// answers and every migration this build knows is applied) and
/// `GET /metrics` (ops or admin).
struct HealthRoutes {
    let environment: ServerEnvironment

    func register(on router: some RouterMethods<TallyRequestContext>) {
        router.get("/healthz", permission: nil) { _, _ in
            JSONResponse.make(.object(["status": .text("ok")]))
        }
        router.get("/readyz", permission: nil) { _, _ in
            let migrations = try environment.settings.migrations()
            let pending: [String]
            do {
                pending = try await environment.database.run { db in
                    try Migrator(migrations: migrations).status(db).filter { $0.state != .applied }.map(\.name)
                }
            } catch {
                throw Problem(status: .serviceUnavailable, code: "database.unavailable", detail: "the database cannot be reached")
            }
            guard pending.isEmpty else {
                throw Problem(status: .serviceUnavailable, code: "migration.pending",
                              detail: "migrations not applied: \(pending.joined(separator: ", ")) (run `tally migrate`)")
            }
            return JSONResponse.make(.object(["status": .text("ready")]))
        }
        router.get("/metrics", permission: .metrics) { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: environment.metrics.exposition())))
        }
    }
}
