/// A SQL statement whose interpolated values become parameters (`$1`, `$2`, …).
///
/// ```swift
/// let sql: SQL = "SELECT name FROM customers WHERE id = \(customerID) AND country = \(country)"
/// // text:     SELECT name FROM customers WHERE id = $1 AND country = $2
/// // bindings: [customerID, country]
/// ```
///
/// As with postgres-nio's `PostgresQuery`, a value cannot reach the SQL text:
/// the only ways to add text are string literals written in the source,
/// ``StringInterpolation/appendInterpolation(identifier:)`` (a quoted name,
/// for schemas chosen at run time) and another `SQL` fragment, whose bindings
/// are renumbered.
public struct SQL: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    public private(set) var text: String
    public private(set) var bindings: [PostgresBind]
    /// A short name for errors and logs (defaults to the start of the text).
    public var name: String?

    public init(stringLiteral value: StaticString) {
        self.text = value.description
        self.bindings = []
    }

    public init(stringInterpolation: StringInterpolation) {
        self.text = stringInterpolation.text
        self.bindings = stringInterpolation.bindings
    }

    /// Whether the statement is planned once per connection and reused
    /// (``prepared()``).
    public private(set) var isPrepared = false

    /// The statement, prepared on each connection the first time it runs
    /// there and executed by name afterwards: its parsing and planning are
    /// paid once per connection, not per execution. For statements whose
    /// text is the same at every call (a fixed text whose values are all
    /// bound) that run often: the server's group of usage requests pays a
    /// dozen statements per transaction, and their planning was a quarter
    /// of PostgreSQL's time (docs/benchmarks.md, issue 15).
    public func prepared() -> SQL {
        var copy = self
        copy.isPrepared = true
        return copy
    }

    /// Names the statement for error messages.
    public func named(_ name: String) -> SQL {
        var copy = self
        copy.name = name
        return copy
    }

    /// The text only: bindings are never printed.
    public var description: String { text }

    /// What errors call this statement.
    var label: String { Self.label(text: text, name: name) }

    /// The name, or the text on one line (runs of whitespace made one space),
    /// cut at 120 characters. Computed only when an error or a decoding
    /// problem needs it: a server statement costs no text work when it succeeds.
    static func label(text: String, name: String?) -> String {
        if let name { return name }
        var flat: [UInt8] = []
        flat.reserveCapacity(min(text.utf8.count, 121))
        var pendingSpace = false
        for byte in text.utf8 {
            if byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D {
                pendingSpace = !flat.isEmpty
                continue
            }
            if pendingSpace { flat.append(0x20) }
            pendingSpace = false
            flat.append(byte)
        }
        let line = String(decoding: flat, as: UTF8.self)
        return line.count > 120 ? String(line.prefix(117)) + "..." : line
    }

    public struct StringInterpolation: StringInterpolationProtocol, Sendable {
        var text = ""
        var bindings: [PostgresBind] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            text.reserveCapacity(literalCapacity + interpolationCount * 3)
            bindings.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: StaticString) {
            text += literal.description
        }

        /// A value: becomes the next `$n` parameter.
        public mutating func appendInterpolation(_ value: some PostgresEncodable) {
            bindings.append(PostgresBind(value))
            text += "$\(bindings.count)"
        }

        /// An optional value: `nil` binds SQL NULL.
        public mutating func appendInterpolation<T: PostgresEncodable>(_ value: T?) {
            bindings.append(value.map(PostgresBind.init) ?? PostgresBind(null: T.postgresType))
            text += "$\(bindings.count)"
        }

        /// A name (schema, table), double-quoted with quotes doubled, so any
        /// string is read as one identifier and never as SQL.
        public mutating func appendInterpolation(identifier: String) {
            text += "\"" + identifier.replacingAll("\"", with: "\"\"") + "\""
        }

        /// A comma-separated list of quoted names, each optionally qualified
        /// (`"s"."id", "s"."name"`), for statements built from a column list.
        public mutating func appendInterpolation(identifiers: [String], qualifiedBy qualifier: String? = nil) {
            let prefix = qualifier.map { "\"" + $0.replacingAll("\"", with: "\"\"") + "\"." } ?? ""
            text += identifiers.map { prefix + "\"" + $0.replacingAll("\"", with: "\"\"") + "\"" }
                .joined(separator: ", ")
        }

        /// Another statement fragment; its parameters are renumbered after ours.
        public mutating func appendInterpolation(_ fragment: SQL) {
            let offset = bindings.count
            text += offset == 0 ? fragment.text : SQL.renumber(fragment.text, by: offset)
            bindings += fragment.bindings
        }
    }

    /// Shifts `$n` placeholders by `offset` (fragments only contain placeholders
    /// we wrote, so a plain scan is exact; `$` inside literals is not produced).
    static func renumber(_ text: String, by offset: Int) -> String {
        var result = ""
        var iterator = Array(text.unicodeScalars)[...]
        while let c = iterator.popFirst() {
            guard c == "$", let first = iterator.first, first.properties.numericType != nil, first.isASCII else {
                result.unicodeScalars.append(c)
                continue
            }
            var number = 0
            while let d = iterator.first, d.isASCII, let v = d.properties.numericType, v == .decimal {
                number = number * 10 + Int(d.value - 48)
                iterator.removeFirst()
            }
            result += "$\(number + offset)"
        }
        return result
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        out.reserveCapacity(count)
        for c in self {
            if c == target { out += replacement } else { out.append(c) }
        }
        return out
    }
}
