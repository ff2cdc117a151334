import Foundation
import TallyCore
import Yams

/// Reads small YAML files that are lists of flat records (tax rates, the
/// issuer), keeping every scalar's text and line so values are read exactly
/// and problems say `file:line`, field and value.
struct YAMLRecords {
    struct Record {
        let line: Int
        let fields: [String: (text: String, line: Int)]
    }

    let file: String
    private(set) var problems: [ImportProblem] = []

    init(file: String) {
        self.file = file
    }

    /// The records under `key` (a list of mappings), or the top mapping
    /// itself when `key` is nil. Unknown fields are problems.
    mutating func records(under key: String?, allowed: Set<String>) -> [Record] {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            problems.append(ImportProblem(file: file, line: nil, "cannot read the file as UTF-8 text"))
            return []
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            problems.append(RateCardFile.yamlProblem(error, file))
            return []
        } catch {
            problems.append(ImportProblem(file: file, line: nil, "not valid YAML: \(error)"))
            return []
        }
        guard let root, case .mapping(let top) = root else {
            problems.append(ImportProblem(file: file, line: 1, "expected a mapping at the top"))
            return []
        }
        guard let key else { return [record(top, allowed: allowed)].compactMap { $0 } }
        guard let list = top[key], case .sequence(let items) = list else {
            problems.append(ImportProblem(file: file, line: 1, "expected a list under '\(key)'"))
            return []
        }
        return items.compactMap { item in
            guard case .mapping(let mapping) = item else {
                problems.append(ImportProblem(file: file, line: item.mark?.line, "each entry of '\(key)' is a mapping"))
                return nil
            }
            return record(mapping, allowed: allowed)
        }
    }

    private mutating func record(_ mapping: Node.Mapping, allowed: Set<String>) -> Record? {
        var fields: [String: (String, Int)] = [:]
        for (k, v) in mapping {
            guard case .scalar(let name) = k else { continue }
            guard allowed.contains(name.string) else {
                problems.append(ImportProblem(file: file, line: k.mark?.line, column: name.string, value: nil,
                                              "unknown field (expected one of \(allowed.sorted().joined(separator: ", ")))"))
                continue
            }
            guard case .scalar(let value) = v else {
                problems.append(ImportProblem(file: file, line: v.mark?.line, column: name.string, value: nil, "must be a single value"))
                continue
            }
            fields[name.string] = (value.string, v.mark?.line ?? 0)
        }
        return Record(line: mapping.mark?.line ?? 0, fields: fields)
    }

    /// A required field's text, or a problem.
    mutating func text(_ record: Record, _ field: String) -> (String, Int)? {
        guard let value = record.fields[field], !value.text.isEmpty else {
            problems.append(ImportProblem(file: file, line: record.line, column: field, value: nil, "is missing"))
            return nil
        }
        return value
    }

    mutating func problem(_ line: Int, _ field: String, _ value: String, _ message: String) {
        problems.append(ImportProblem(file: file, line: line, column: field, value: value, message))
    }
}
