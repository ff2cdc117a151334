import Foundation
import Hummingbird
import NIOCore
import TallyPresentation

/// JSON bodies of the API: compact, keys sorted, one trailing newline.
enum JSONResponse {
    static func text(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return ((try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "{}") + "\n"
    }

    static func make(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        body(text(value), contentType: "application/json", status: status)
    }

    static func body(_ text: String, contentType: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// A small JSON request body (commands like `{"period": "2026-11"}`),
    /// decoded into `T`, whose fields are text (never a number read as a
    /// binary floating-point value). Keys outside `fields` are refused (a typo must not be
    /// silently ignored).
    static func decode<T: Decodable>(_ type: T.Type, fields: Set<String>, from request: Request, limit: Int = 64 * 1024) async throws -> T {
        let mediaType = (request.headers[.contentType] ?? "").split(separator: ";").first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        } ?? ""
        guard mediaType == "application/json" else {
            throw Problem(status: .unsupportedMediaType, code: "http.unsupported_media_type", detail: "send a JSON object as application/json")
        }
        let bytes = try await UsageRoutes.collect(request, limit: limit)
        if let keys = try? JSONDecoder().decode(KeyNames.self, from: Data(bytes)) {
            let unknown = keys.names.filter { !fields.contains($0) }.sorted()
            guard unknown.isEmpty else {
                throw Problem.badRequest(
                    "input.invalid", "unknown field(s) \(unknown.map { "\"\($0)\"" }.joined(separator: ", ")); known: \(fields.sorted().joined(separator: ", "))")
            }
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch let DecodingError.keyNotFound(key, _) {
            throw Problem.badRequest("input.invalid", "the JSON object needs \"\(key.stringValue)\"")
        } catch let DecodingError.typeMismatch(_, context) {
            throw Problem.badRequest("input.invalid", "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: ".")) (expected text)")
        } catch {
            throw Problem.badRequest("input.invalid", "the body is not a valid JSON object")
        }
    }
}

/// The keys of a JSON object, whatever their values.
private struct KeyNames: Decodable {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    let names: [String]

    init(from decoder: any Decoder) throws {
        names = try decoder.container(keyedBy: Key.self).allKeys.map(\.stringValue)
    }
}
