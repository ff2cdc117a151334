import Foundation
import Hummingbird
import NIOCore
import TallyCore
import TallyDatabase
import TallyPostgres
import TallyPresentation

/// `POST /v1/usage/events` (role ingest or admin): the same validation and
/// exact dedupe as `tally usage ingest`, through the same ``UsageIngester``.
///
/// The body (NDJSON, or a JSON array split into one element per line) is
/// ingested from memory, with the requests arriving meanwhile
/// (``UsageIngestQueue``); its rejects come back into the response. The
/// events and the audit entry are committed in one transaction before the
/// response is sent.
struct UsageRoutes {
    let environment: ServerEnvironment

    /// The path whose key ``AuthenticationMiddleware`` leaves to the route.
    static let eventsPath = "/v1/usage/events"

    func register(on router: some RouterMethods<TallyRequestContext>) {
        // Needs .usageWrite: checked by ingest(_:_:), with the key looked up
        // in the transaction that stores the events (ingest or admin).
        router.post(RouterPath(Self.eventsPath), permission: nil) { request, context in
            try await ingest(request, context)
        }
    }

    /// The response: counts, then each reject's line (element) and reason.
    struct Outcome: Sendable {
        var summary: UsageIngester.Summary
        var rejects: [(line: Int, reason: String)]

        func json() -> String {
            // Nearly every answer has no rejects: written directly, as the
            // encoder below would write it (keys sorted, compact), without an
            // encoder per request.
            if rejects.isEmpty {
                return "{\"accepted\":\(summary.accepted),\"duplicate\":\(summary.duplicates),\"rejected\":0,\"rejects\":[]}\n"
            }
            let list = rejects.sorted { $0.line < $1.line }.map { JSONValue.object(["line": .number($0.line), "reason": .text($0.reason)]) }
            let object = JSONValue.object([
                "accepted": .number(summary.accepted), "duplicate": .number(summary.duplicates),
                "rejected": .number(rejects.count), "rejects": .list(list),
            ])
            return JSONResponse.text(object)
        }
    }

    func ingest(_ request: Request, _ context: TallyRequestContext) async throws -> Response {
        let caller: UsageIngestQueue.Caller
        if case .unverified(let digest) = context.credential {
            caller = .unverified(digest: digest)
        } else {
            caller = .verified(environment.actor(try context.require(.usageWrite)))
        }
        let body: [UInt8]
        let isArray: Bool
        do {
            let mediaType = (request.headers[.contentType] ?? "").split(separator: ";").first.map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            } ?? ""
            switch mediaType {
            case "application/x-ndjson": isArray = false
            case "application/json": isArray = true
            default:
                throw Problem(status: .unsupportedMediaType, code: "http.unsupported_media_type",
                              detail: "send events as application/x-ndjson (one JSON object per line) or application/json (an array)")
            }
            body = try await Self.collect(request, limit: environment.settings.maxBodyBytes)
        } catch {
            try await refuseBadKey(caller)
            throw error
        }
        var fileBytes = body
        var ownRejects: [(line: Int, reason: String)] = []
        if isArray {
            do {
                let split = try JSONArraySplitter.split(body)
                fileBytes = split.lines
                ownRejects = split.rejects
            } catch {
                try await refuseBadKey(caller)
                throw Problem(status: .badRequest, code: "usage.malformed", detail: error.message)
            }
        }
        let strict = request.uri.queryParameters.get("strict").map { $0 == "true" || $0 == "1" } ?? false
        // Grouped with the requests arriving meanwhile (UsageIngestQueue);
        // answered once the transaction holding these events committed.
        let outcome = try await environment.usageQueue.ingest(fileBytes, strict: strict, caller: caller, ownRejects: ownRejects)
        environment.metrics.ingested(accepted: outcome.summary.accepted, duplicate: outcome.summary.duplicates, rejected: outcome.rejects.count)
        return JSONResponse.body(outcome.json(), contentType: "application/json")
    }

    /// Throws 401 or 403 when `caller` is unverified and its key is unknown,
    /// revoked or of the wrong role: a bad key is answered before a bad body,
    /// as on every other route (a valid body has its key checked in its
    /// ingest's transaction instead).
    private func refuseBadKey(_ caller: UsageIngestQueue.Caller) async throws {
        guard case .unverified(let digest) = caller else { return }
        let key = try await AuthenticationMiddleware.verify(digest, database: environment.database)
        if let refusal = TallyRequestContext.refusal(of: key, for: .usageWrite) { throw refusal }
    }

    /// Runs `body` (an ingest's transaction) again, up to three times in
    /// all, when PostgreSQL rolled it back for a deadlock, a serialization
    /// failure or an event a concurrent ingest stored after this one's
    /// look-up (``UsageIngester/isConcurrentDuplicate(_:)``): each leaves
    /// nothing written, and the next run finds that event a duplicate. Other
    /// errors pass through.
    static func retryingConflicts<T>(_ body: () throws -> T) throws -> T {
        var attempts = 0
        while true {
            attempts += 1
            do {
                return try body()
            } catch let error as PostgresError
                where attempts < 3
                && (error.sqlState == .deadlockDetected || error.sqlState == .serializationFailure
                    || UsageIngester.isConcurrentDuplicate(error)) {
                continue
            }
        }
    }

    /// The body's bytes, refused with 413 as soon as they pass `limit`
    /// (whatever `Content-Length` says, and for chunked bodies).
    static func collect(_ request: Request, limit: Int) async throws -> [UInt8] {
        let tooLarge = Problem(status: .contentTooLarge, code: "http.too_large",
                               detail: "the body is larger than the limit of \(limit) bytes (--max-body-bytes); send smaller batches")
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { throw tooLarge }
        var bytes: [UInt8] = []
        for try await buffer in request.body {
            guard bytes.count + buffer.readableBytes <= limit else { throw tooLarge }
            bytes.append(contentsOf: buffer.readableBytesView)
        }
        return bytes
    }
}
