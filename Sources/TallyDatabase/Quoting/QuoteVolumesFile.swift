import TallyCore

/// Reads a quote's expected monthly volumes from CSV:
///
/// ```csv
/// model,input,cached_input,output
/// llama-3.3-70b-instruct,2e9,0,5e8
/// ```
///
/// Strict like every Tally input: the four columns are required, counts are
/// whole numbers read exactly (`2e9` digit by digit, never through a float),
/// a model given twice is an error; every problem is listed with file:line
/// and nothing is used if anything is wrong.
public enum QuoteVolumesFile {
    public static let columns = ["model", "input", "cached_input", "output"]

    public static func read(path: String) throws -> [QuoteVolume] {
        var csv = try CSVFile(path: path)
        guard csv.header == columns else {
            throw ImportError([ImportProblem(file: path, line: 1, "the header must be \(columns.joined(separator: ",")) (found \(csv.header.joined(separator: ",")))")])
        }
        var volumes: [QuoteVolume] = []
        var problems: [ImportProblem] = []
        var seen: [String: Int] = [:]
        while let (line, fields) = try csv.next() {
            guard fields.count == columns.count else {
                problems.append(ImportProblem(file: path, line: line, "has \(fields.count) fields, the header has \(columns.count)"))
                continue
            }
            let model = fields[0]
            guard !model.isEmpty else {
                problems.append(ImportProblem(file: path, line: line, column: "model", value: nil, "is required"))
                continue
            }
            if let first = seen[model] {
                problems.append(ImportProblem(file: path, line: line, column: "model", value: model, "already given at line \(first)"))
                continue
            }
            seen[model] = line
            var counts = TokenCounts()
            var ok = true
            for (i, tokenClass) in TokenClass.allCases.enumerated() {
                do {
                    counts[tokenClass] = try QuoteVolume.count(fields[i + 1])
                } catch {
                    problems.append(ImportProblem(file: path, line: line, column: columns[i + 1], value: fields[i + 1], error.message))
                    ok = false
                }
            }
            guard ok else { continue }
            guard !counts.isZero else {
                problems.append(ImportProblem(file: path, line: line, column: "model", value: model, "no tokens in any class"))
                continue
            }
            volumes.append(QuoteVolume(model: model, tokens: counts))
        }
        guard problems.isEmpty else { throw ImportError(problems) }
        guard !volumes.isEmpty else { throw ImportError([ImportProblem(file: path, line: nil, "no volumes: the file has a header only")]) }
        return volumes
    }
}
