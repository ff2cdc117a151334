/// Everything that can go wrong talking to PostgreSQL, as one struct.
///
/// Shaped like postgres-nio's `PSQLError`: ``code`` says which kind of failure
/// (so new kinds can be added without breaking `switch`es), ``sqlState`` and the
/// server's message, detail and hint say what the server said, and
/// ``statement`` names the statement that failed. A connection error never
/// carries the password: the target is described by ``ConnectionTarget``.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// Could not connect, or the connection broke.
        public static let connection = Code("connection")
        /// The server refused a statement; ``PostgresError/sqlState`` says why.
        public static let server = Code("server")
        /// A parameter that cannot be sent (a string with a NUL byte).
        public static let invalidParameter = Code("invalidParameter")
        /// A column that does not decode to the asked type (or is NULL).
        public static let decoding = Code("decoding")
        /// A COPY that was aborted or failed.
        public static let copy = Code("copy")
        /// The pool was closed.
        public static let poolClosed = Code("poolClosed")
    }

    public var code: Code
    public var sqlState: SQLState?
    public var message: String
    public var detail: String?
    public var hint: String?
    /// The failing statement's name, or the start of its SQL text (never values:
    /// values travel as parameters, so the text holds none).
    public var statement: String?
    /// Where the server pointed: a constraint or table name when it gave one.
    public var constraint: String?
    public var table: String?

    public init(
        _ code: Code, _ message: String, sqlState: SQLState? = nil, detail: String? = nil, hint: String? = nil,
        statement: String? = nil
    ) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
        self.statement = statement
    }

    public var description: String {
        var text = message
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let detail { text += "\nDETAIL: \(detail)" }
        if let hint { text += "\nHINT: \(hint)" }
        if let statement { text += "\nSTATEMENT: \(statement)" }
        return text
    }
}
