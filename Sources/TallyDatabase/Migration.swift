import Foundation

/// One forward-only SQL migration file, `NNNN_description.sql`.
public struct Migration: Sendable, Hashable {
    /// The number the file name starts with; files apply in this order.
    public let version: Int
    /// The file name, e.g. `0001_init.sql`.
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// Reads every `NNNN_*.sql` file in `directory`, sorted by version. Two
    /// files with one version, or a `.sql` file without a version, is an error.
    public static func load(from directory: URL) throws -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw MigrationError(
                "cannot read the migrations folder \(directory.path) (\(error.localizedDescription)); run tally inside the project "
                    + "(the folder with migrations/) or set TALLY_MIGRATIONS to the folder of migrations")
        }
        var migrations: [Migration] = []
        for name in names.sorted() where name.hasSuffix(".sql") {
            let digits = name.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let version = Int(digits), name.dropFirst(digits.count).first == "_" else {
                throw MigrationError("\(directory.path)/\(name): migration files are named NNNN_description.sql")
            }
            if let clash = migrations.first(where: { $0.version == version }) {
                throw MigrationError("\(name) and \(clash.name) both have version \(version)")
            }
            let url = directory.appendingPathComponent(name)
            let sql: String
            do {
                sql = try String(contentsOf: url, encoding: .utf8)
            } catch {
                throw MigrationError("\(url.path): cannot read as UTF-8: \(error.localizedDescription)")
            }
            migrations.append(Migration(version: version, name: name, sql: sql))
        }
        return migrations.sorted { $0.version < $1.version }
    }
}

/// A migration problem, with the file it concerns in the message.
public struct MigrationError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
