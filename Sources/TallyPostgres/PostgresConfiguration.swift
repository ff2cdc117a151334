import CLibPQ
import Foundation

/// Where and how to connect.
public struct PostgresConfiguration: Sendable {
    /// A libpq connection URI (`postgresql://…`) or conninfo (`host=… dbname=…`).
    public var url: String
    /// The schema search path set on every connection (tests use one schema each).
    public var searchPath: String?
    public var applicationName: String

    public init(url: String, searchPath: String? = nil, applicationName: String = "tally") {
        self.url = url
        self.searchPath = searchPath
        self.applicationName = applicationName
    }

    /// `DATABASE_URL` from the environment, if set and not empty.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        -> PostgresConfiguration?
    {
        guard let url = environment["DATABASE_URL"], !url.isEmpty else { return nil }
        return PostgresConfiguration(url: url)
    }

    /// The target without secrets, e.g. `user=tally dbname=tally host=/x/.tally/run`:
    /// what error messages and logs may print. The password is never included.
    public var redactedTarget: String {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(url, &errorMessage) else {
            if let errorMessage { PQfreemem(errorMessage) }
            return "(unparseable connection string)"
        }
        defer { PQconninfoFree(options) }
        // A password libpq misread (one holding a `/`) can land in another field.
        let secrets = ConnectionSecrets(url)
        var parts: [String] = []
        var option = options
        while let keyword = option.pointee.keyword {
            let key = String(cString: keyword)
            if let value = option.pointee.val, ["host", "hostaddr", "port", "dbname", "user"].contains(key) {
                let text = String(cString: value)
                parts.append("\(key)=\(secrets.touchesSecret(text) ? ConnectionSecrets.mask : text)")
            }
            option += 1
        }
        return parts.isEmpty ? "(defaults)" : parts.joined(separator: " ")
    }

    /// The connection string with its passwords masked (`postgresql://u:***@host/db`),
    /// even when libpq cannot parse it.
    public var redactedURL: String { ConnectionSecrets(url).redacted }

    /// `message` without this configuration's passwords: every text about a
    /// connection (libpq's errors quote the string they reject) goes through
    /// here before it is printed or logged.
    public func redact(_ message: String) -> String { ConnectionSecrets(url).redact(message) }
}
