import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TallyPostgres
import TallyPresentation

/// An RFC 9457 problem detail (`application/problem+json`): what every error
/// response of the API is (docs/api.md).
///
/// `code` is the same stable code the command line prints for the same
/// failure (``ErrorReport``); `detail` is a sentence for people. A failure
/// the caller cannot explain (a bug, an unexpected database error) gets a
/// generic detail: the real one is only logged, so no response ever carries
/// a SQL error, a stack trace or a secret.
public struct Problem: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var detail: String
    /// Extra members (the gaps of an invoice run, the problems of a file).
    public var extensions: [String: JSONValue] = [:]
    /// Extra response headers (`WWW-Authenticate` on 401).
    public var headers: HTTPFields = [:]

    public init(status: HTTPResponse.Status, code: String, detail: String, extensions: [String: JSONValue] = [:]) {
        self.status = status
        self.code = code
        self.detail = detail
        self.extensions = extensions
    }

    public static func unauthorized(_ detail: String) -> Problem {
        var problem = Problem(status: .unauthorized, code: "auth.unauthorized", detail: detail)
        problem.headers[.wwwAuthenticate] = #"Bearer realm="tally""#
        return problem
    }

    public static func badRequest(_ code: String, _ detail: String) -> Problem {
        Problem(status: .badRequest, code: code, detail: detail)
    }

    /// Codes whose ``ErrorReport`` message is safe to show although it comes
    /// from PostgreSQL (Tally's own sentences, naming at most a rule).
    static let shownDatabaseCodes: Set<String> = ["database.busy", "database.duplicate", "database.reference", "database.rule", "database.refused"]

    /// The problem for any error a route throws; `nil` when the error is an
    /// unexpected one that must be logged and answered with a generic 500.
    public static func classify(_ error: any Error) -> Problem? {
        switch error {
        case let problem as Problem:
            return problem
        case let error as HTTPError:
            let detail = error.body ?? (error.status == .notFound ? "nothing here: no route answers this method and path (see docs/api.md)" : error.status.reasonPhrase)
            return Problem(status: error.status, code: Self.code(for: error.status), detail: detail)
        default:
            break
        }
        let report = ErrorReport(error)
        let status = Self.status(for: report)
        if report.kind == .failure { return nil }
        if error is PostgresError && !shownDatabaseCodes.contains(report.code) {
            let detail = report.kind == .unavailable ? "the database is unavailable; try again later" : "the database refused a value"
            return Problem(status: status, code: report.code, detail: detail)
        }
        return Problem(status: status, code: report.code, detail: report.message,
                       extensions: report.details.isEmpty ? [:] : ["details": .object(report.details)])
    }

    /// 400 bad input (404 when something named does not exist), 409 refused
    /// by a rule, 503 unavailable, 500 failure.
    static func status(for report: ErrorReport) -> HTTPResponse.Status {
        switch report.kind {
        case .badInput: report.code.hasSuffix(".not_found") ? .notFound : .badRequest
        case .refused: .conflict
        case .unavailable: .serviceUnavailable
        case .failure: .internalServerError
        }
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "input.invalid"
        case 401: "auth.unauthorized"
        case 403: "auth.forbidden"
        case 404: "http.not_found"
        case 405: "http.method_not_allowed"
        case 413: "http.too_large"
        case 415: "http.unsupported_media_type"
        case 503: "database.unavailable"
        default: status.code >= 500 ? "internal" : "http.error"
        }
    }

    /// The generic 500 an unexpected error becomes.
    public static let internalError = Problem(
        status: .internalServerError, code: "internal", detail: "an unexpected error occurred; it was logged with the request id")

    /// The JSON body: `type`, `title`, `status`, `detail`, `code`, `instance`
    /// (the request id as a URN) and any extensions, keys sorted.
    public func body(requestID: String) -> String {
        var object = extensions
        object["type"] = .text("https://tally.invalid/problems/\(code)")
        object["title"] = .text(status.reasonPhrase)
        object["status"] = .number(status.code)
        object["detail"] = .text(detail)
        object["code"] = .text(code)
        object["instance"] = .text("urn:request:\(requestID)")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return ((try? String(decoding: encoder.encode(JSONValue.object(object)), as: UTF8.self)) ?? "{}") + "\n"
    }

    public func response(requestID: String) -> Response {
        var fields = headers
        fields[.contentType] = "application/problem+json"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: body(requestID: requestID))))
    }

    /// Used only when an error escapes ``ProblemMiddleware`` (it never should).
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response(requestID: (context as? TallyRequestContext)?.requestID ?? "")
    }
}
