import Foundation
import TallyCore
import TallyDatabase
import TallyPostgres

/// A failed command as the user sees it: a stable code, a sentence, details
/// for tools, and the kind that decides the exit status.
///
/// Every error that reaches `Tally.main` goes through here, so no raw
/// PostgreSQL message (with its failing row) reaches a user and every
/// failure has one code whatever the command (docs/errors.md).
public struct ErrorReport: Sendable {
    public var kind: ErrorKind
    public var code: String
    public var message: String
    public var details: [String: JSONValue] = [:]

    public init(kind: ErrorKind, code: String, message: String, details: [String: JSONValue] = [:]) {
        self.kind = kind
        self.code = code
        self.message = message
        self.details = details
    }

    /// Classifies any error a command throws.
    public init(_ error: any Error) {
        switch error {
        case let coded as any CodedError:
            self.init(kind: coded.errorKind, code: coded.errorCode, message: coded.errorMessage, details: coded.errorDetails)
        case let error as PostgresError:
            self = Self.database(error)
        case let error as ImportError:
            self.init(kind: .badInput, code: "import.problems", message: error.description,
                      details: ["problems": .list(error.problems.map(Self.problem))])
        case let problem as ImportProblem:
            self.init(kind: .badInput, code: "import.problems", message: problem.description, details: ["problems": .list([Self.problem(problem)])])
        case let error as InvoiceRun.Gaps:
            self.init(kind: .refused, code: "invoice.gaps", message: error.description, details: ["problems": .list(error.problems.map(JSONValue.text))])
        case let error as RatingError:
            self.init(kind: error.code == .unpriced ? .refused : .failure, code: "rating.\(Self.snakeCase(error.code.name))", message: error.message,
                      details: error.gaps.isEmpty ? [:] : ["gaps": .list(error.gaps.map { .text($0.description) })])
        case let error as TimeError:
            self.init(kind: .badInput, code: "time.invalid", message: error.message)
        case let error as MigrationError:
            self.init(kind: .failure, code: "migration.failed", message: error.message)
        case let error as LocalClusterError:
            self.init(kind: .unavailable, code: "database.unavailable", message: error.message + Self.databaseAdvice)
        case let error as CocoaError where [.fileNoSuchFile, .fileReadNoSuchFile, .fileReadNoPermission].contains(error.code):
            self.init(kind: .badInput, code: "input.file", message: error.localizedDescription)
        default:
            self.init(kind: .failure, code: "internal", message: String(describing: error))
        }
    }

    /// A command-line parse error (unknown option, missing value): bad input,
    /// with ArgumentParser's own message (it names the option and the usage).
    public static func usage(_ message: String) -> ErrorReport {
        let text = message.hasPrefix("Error: ") ? String(message.dropFirst("Error: ".count)) : message
        return ErrorReport(kind: .badInput, code: "input.usage", message: text)
    }

    public static let databaseAdvice = "; check DATABASE_URL, or start the local database with `tally db start`"

    /// SQLSTATEs a user can provoke, each as a sentence; the server's detail
    /// (which may print a whole row) never reaches the user.
    public static func database(_ error: PostgresError) -> ErrorReport {
        var details: [String: JSONValue] = [:]
        if let state = error.sqlState { details["sqlstate"] = .text(state.rawValue) }
        if let constraint = error.constraint { details["constraint"] = .text(constraint) }
        if let table = error.table { details["table"] = .text(table) }
        switch error.code {
        case .connection where error.statement != nil:
            // Lost in the middle of a command: its open transaction died with the session.
            return ErrorReport(kind: .unavailable, code: "database.unavailable",
                               message: "the database became unavailable during the command: \(error.message); its open transaction was rolled back, "
                                   + "run the command again once the database is back" + databaseAdvice, details: details)
        case .connection, .poolClosed:
            return ErrorReport(kind: .unavailable, code: "database.unavailable", message: "cannot reach the database: \(error.message)" + databaseAdvice, details: details)
        case .invalidParameter:
            return ErrorReport(kind: .badInput, code: "input.invalid", message: error.message, details: details)
        case .server:
            break
        default:
            return ErrorReport(kind: .failure, code: "database.error", message: "unexpected database error: \(error.message)", details: details)
        }
        let state = error.sqlState ?? SQLState(rawValue: "XX000")
        let rule = [error.constraint.map { "rule \($0)" }, error.table.map { "of \($0)" }].compactMap { $0 }.joined(separator: " ")
        switch state {
        case .serializationFailure, .deadlockDetected, .lockNotAvailable:
            return ErrorReport(kind: .unavailable, code: "database.busy",
                               message: "another command changed the same data at the same time; nothing was written, run it again", details: details)
        case .uniqueViolation:
            return ErrorReport(kind: .refused, code: "database.duplicate",
                               message: "refused: this already exists (\(rule.isEmpty ? "a unique rule" : rule)); nothing was written", details: details)
        case .foreignKeyViolation:
            return ErrorReport(kind: .refused, code: "database.reference",
                               message: "refused: it names something that does not exist, or something else still refers to it (\(rule)); nothing was written",
                               details: details)
        case .checkViolation, .notNullViolation, .exclusionViolation:
            return ErrorReport(kind: .refused, code: "database.rule",
                               message: "refused by the database's \(rule.isEmpty ? "rules" : rule); nothing was written", details: details)
        case .raiseException, .objectNotInPrerequisiteState:
            // Tally's own triggers: their message is already a sentence about the document, not a row.
            return ErrorReport(kind: .refused, code: "database.refused", message: "refused: \(error.message); nothing was written", details: details)
        case SQLState(rawValue: "25006"):  // read_only_sql_transaction
            // default_transaction_read_only, a hot standby, or an emergency
            // read-only mode: the data is fine, writing must wait.
            return ErrorReport(kind: .unavailable, code: "database.unavailable",
                               message: "the database refuses writes, it is read-only (\(error.message)); nothing was written: "
                                   + "check that DATABASE_URL names the primary and that default_transaction_read_only is off", details: details)
        case .insufficientPrivilege:
            return ErrorReport(kind: .unavailable, code: "database.unavailable",
                               message: "the database user may not do this: \(error.message)" + databaseAdvice, details: details)
        default:
            switch state.errorClass {
            case "22":
                return ErrorReport(kind: .badInput, code: "input.invalid",
                                   message: "the database cannot store a value: \(error.message); nothing was written", details: details)
            case "08", "53", "57":
                return ErrorReport(kind: .unavailable, code: "database.unavailable", message: "the database is unavailable: \(error.message)" + databaseAdvice,
                                   details: details)
            default:
                return ErrorReport(kind: .failure, code: "database.error",
                                   message: "unexpected database error (SQLSTATE \(state)): \(error.message)", details: details)
            }
        }
    }

    static func problem(_ p: ImportProblem) -> JSONValue {
        var fields: [String: JSONValue] = ["file": .text(p.file), "message": .text(p.message)]
        fields["line"] = p.line.map { JSONValue.number($0) } ?? .null
        fields["field"] = p.column.map(JSONValue.text) ?? .null
        fields["value"] = p.value.map(JSONValue.text) ?? .null
        return .object(fields)
    }

    /// `not found` → `not_found`, `missingFXRate` → `missing_fx_rate`.
    public static func snakeCase(_ name: String) -> String {
        var out = ""
        let chars = Array(name)
        for (i, c) in chars.enumerated() {
            if c == " " || c == "-" {
                out += "_"
            } else if c.isUppercase {
                let previousLower = i > 0 && (chars[i - 1].isLowercase || chars[i - 1].isNumber)
                let nextLower = i + 1 < chars.count && chars[i + 1].isLowercase && i > 0 && chars[i - 1].isUppercase
                if previousLower || nextLower { out += "_" }
                out += c.lowercased()
            } else {
                out.append(c)
            }
        }
        return out
    }

    /// `{"error": {"code", "message", "details"}}`, keys sorted, one trailing newline.
    public func json() -> String {
        let object = JSONValue.object(["error": .object(["code": .text(code), "message": .text(message), "details": .object(details)])])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(object), as: UTF8.self)) ?? #"{"error": {"code": "internal", "message": "", "details": {}}}"#
    }
}

/// Errors that carry their own code and kind (the core's ``DomainError``s).
public protocol CodedError: Error {
    var errorKind: ErrorKind { get }
    var errorCode: String { get }
    var errorMessage: String { get }
    var errorDetails: [String: JSONValue] { get }
}

extension DomainError: CodedError {
    /// `invoice`, `quote`, `money`, `cost`, `margin`: the domain's name.
    public static var area: String {
        let name = String(describing: Domain.self)
        return ErrorReport.snakeCase(name.hasSuffix("ErrorDomain") ? String(name.dropLast("ErrorDomain".count)) : name)
    }

    public var errorCode: String { "\(Self.area).\(ErrorReport.snakeCase(code.name))" }

    public var errorMessage: String { message }

    /// Codes the rules refuse, and codes that mean a bug; every other code is bad input.
    public var errorKind: ErrorKind {
        switch errorCode {
        case "invoice.state", "invoice.date", "invoice.credit", "invoice.tax", "quote.refused", "cost.missing_fx_rate", "cost.over_allocated",
             "usage_archive.refused", "usage_archive.state":
            .refused
        case "invoice.inconsistent", "cost.arithmetic", "margin.reconciliation", "usage_archive.mismatch":
            .failure
        default:
            .badInput
        }
    }

    public var errorDetails: [String: JSONValue] { [:] }
}
