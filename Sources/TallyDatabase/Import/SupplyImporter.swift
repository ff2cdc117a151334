import Foundation
import TallyCore
import TallyPostgres

/// Loads supply CSV files (`tally supply import`).
///
/// All files of one import load in one transaction, or nothing does:
/// 1. every record is validated (types, signs, ISO codes, end after start,
///    whole hours) and every problem is collected with file, line, column and value;
/// 2. ids used twice in the import, and sites or GPU types that neither the
///    database nor the import knows, are problems too;
/// 3. each kind is COPYed into a staging table and upserted: unchanged rows
///    are left alone (re-importing a file is a no-op), changed ones updated —
///    unless the row touches a closed month, which is refused with the reason.
public struct SupplyImporter {
    public struct FileSummary: Sendable, Equatable {
        public let file: String
        public let kind: SupplyKind
        public let rows: Int
        public let inserted: Int
        public let updated: Int
        public var unchanged: Int { rows - inserted - updated }
    }

    public init() {}

    public func importFiles(_ paths: [String], into db: PostgresConnection) throws -> [FileSummary] {
        var problems: [ImportProblem] = []
        var parsed: [(path: String, kind: SupplyKind, rows: [SupplyRow])] = []
        for path in paths {
            do {
                let (kind, rows, fileProblems) = try Self.read(path)
                problems += fileProblems
                parsed.append((path, kind, rows))
            } catch let problem as ImportProblem {
                problems.append(problem)
            }
        }
        problems += Self.duplicateKeys(parsed)
        return try db.transaction {
            problems += try Self.unknownReferences(parsed, db)
            guard problems.isEmpty else { throw ImportError(problems) }
            var summaries: [FileSummary] = []
            for kind in SupplyKind.loadOrder {
                for file in parsed where file.kind == kind {
                    summaries.append(try Self.upsert(file.path, kind, file.rows, db, problems: &problems))
                }
            }
            guard problems.isEmpty else { throw ImportError(problems) }
            return summaries.sorted { paths.firstIndex(of: $0.file)! < paths.firstIndex(of: $1.file)! }
        }
    }

    static func read(_ path: String) throws -> (SupplyKind, [SupplyRow], [ImportProblem]) {
        var csv = try CSVFile(path: path)
        guard let kind = SupplyKind.detect(header: csv.header) else {
            let expected = SupplyKind.allCases.map { "\($0.rawValue): \($0.requiredColumns.joined(separator: ","))" }
            throw ImportProblem(
                file: path, line: 1,
                "header '\(csv.header.joined(separator: ","))' matches no supply file kind; expected one of\n  "
                    + expected.joined(separator: "\n  "))
        }
        let columns = Dictionary(uniqueKeysWithValues: csv.header.enumerated().map { ($1, $0) })
        var rows: [SupplyRow] = []
        var problems: [ImportProblem] = []
        while let (line, fields) = try csv.next() {
            if fields.count != csv.header.count {
                problems.append(ImportProblem(
                    file: path, line: line, "has \(fields.count) fields, the header has \(csv.header.count)"))
                continue
            }
            var reader = FieldReader(file: path, line: line, columns: columns, fields: fields)
            if let row = SupplyRow.parse(kind, &reader) { rows.append(row) } else { problems += reader.problems }
        }
        return (kind, rows, problems)
    }

    /// The same key twice in one import (one file or several of a kind).
    static func duplicateKeys(_ parsed: [(path: String, kind: SupplyKind, rows: [SupplyRow])]) -> [ImportProblem] {
        var problems: [ImportProblem] = []
        var seen: [SupplyKind: [String: (String, Int)]] = [:]
        for file in parsed {
            for row in file.rows {
                if let (firstFile, firstLine) = seen[file.kind]?[row.key] {
                    problems.append(ImportProblem(
                        file: file.path, line: row.line, column: file.kind.keyColumns.joined(separator: ","),
                        value: row.key, "already defined at \(firstFile):\(firstLine)"))
                } else {
                    seen[file.kind, default: [:]][row.key] = (file.path, row.line)
                }
            }
        }
        return problems
    }

    /// Sites and GPU types must exist in the database or in this import.
    static func unknownReferences(
        _ parsed: [(path: String, kind: SupplyKind, rows: [SupplyRow])], _ db: PostgresConnection
    ) throws -> [ImportProblem] {
        var sites = Set(try db.execute("SELECT id FROM sites").map { try $0.decode(0, as: String.self) })
        var gpus = Set(try db.execute("SELECT id FROM gpu_types").map { try $0.decode(0, as: String.self) })
        for file in parsed where file.kind == .sites { sites.formUnion(file.rows.map(\.key)) }
        for file in parsed where file.kind == .gpuTypes { gpus.formUnion(file.rows.map(\.key)) }
        var problems: [ImportProblem] = []
        for file in parsed {
            for row in file.rows {
                if let site = row.siteID, !sites.contains(site) {
                    problems.append(ImportProblem(file: file.path, line: row.line, column: "site_id", value: site, "unknown site"))
                }
                if let gpu = row.gpuTypeID, !gpus.contains(gpu) {
                    problems.append(ImportProblem(file: file.path, line: row.line, column: "gpu_type_id", value: gpu, "unknown GPU type"))
                }
            }
        }
        return problems
    }

    /// Stages the rows with COPY, refuses those that would change a closed
    /// month, and upserts the rest.
    static func upsert(
        _ path: String, _ kind: SupplyKind, _ rows: [SupplyRow], _ db: PostgresConnection,
        problems: inout [ImportProblem]
    ) throws -> FileSummary {
        let stage = "stage_\(kind.rawValue)"
        let columns = kind.columns
        let values = columns.filter { !kind.keyColumns.contains($0) }
        try db.execute("DROP TABLE IF EXISTS \(identifier: stage)")
        try db.execute("CREATE TEMP TABLE \(identifier: stage) (LIKE \(identifier: kind.table)) ON COMMIT DROP")
        try db.execute("ALTER TABLE \(identifier: stage) ADD COLUMN line integer NOT NULL")
        try db.copyIn("COPY \(identifier: stage) (\(identifiers: columns), line) FROM STDIN") { writer in
            for row in rows {
                for value in row.values { try writer.field(value) }
                writer.field(row.line)
                try writer.endRow()
            }
        }
        let keyMatch = keyJoin(kind)
        let differs: SQL = "(\(identifiers: values, qualifiedBy: "s")) IS DISTINCT FROM (\(identifiers: values, qualifiedBy: "t"))"
        // New or changed rows that touch a closed month (as they are, or as they were).
        let newOrChanged: SQL = kind.checksNewRows
            ? "(t.ctid IS NULL OR \(differs))" : "(t.ctid IS NOT NULL AND \(differs))"
        let refused = try db.execute(
            """
            SELECT s.line FROM \(identifier: stage) s
            LEFT JOIN \(identifier: kind.table) t ON \(keyMatch)
            WHERE \(newOrChanged)
              AND (\(kind.touchesClosedMonth("s")) OR (t.ctid IS NOT NULL AND \(kind.touchesClosedMonth("t"))))
            ORDER BY s.line
            """)
        for row in refused {
            problems.append(ImportProblem(
                file: path, line: try row.decode(0, as: Int.self),
                "would change a closed month (its invoices are finalized); closed rows cannot change"))
        }
        let counts = try db.execute(
            """
            SELECT count(*) FILTER (WHERE t.ctid IS NULL), count(*) FILTER (WHERE t.ctid IS NOT NULL AND \(differs))
            FROM \(identifier: stage) s LEFT JOIN \(identifier: kind.table) t ON \(keyMatch)
            """)[0]
        let inserted = try counts.decode(0, as: Int.self)
        let updated = try counts.decode(1, as: Int.self)
        if refused.isEmpty {
            try db.execute(
                """
                INSERT INTO \(identifier: kind.table) AS t (\(identifiers: columns))
                SELECT \(identifiers: columns) FROM \(identifier: stage)
                ON CONFLICT (\(identifiers: kind.keyColumns))
                DO UPDATE SET (\(identifiers: values)) = ROW(\(identifiers: values, qualifiedBy: "excluded"))
                WHERE (\(identifiers: values, qualifiedBy: "t")) IS DISTINCT FROM (\(identifiers: values, qualifiedBy: "excluded"))
                """)
        }
        return FileSummary(file: path, kind: kind, rows: rows.count, inserted: inserted, updated: updated)
    }

    private static func keyJoin(_ kind: SupplyKind) -> SQL {
        "(\(identifiers: kind.keyColumns, qualifiedBy: "s")) = (\(identifiers: kind.keyColumns, qualifiedBy: "t"))"
    }
}

