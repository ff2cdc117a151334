import Foundation
import TallyCore

/// Reads standard tax rates from `rates/tax/*.yaml`:
///
/// ```yaml
/// tax_rates:
///   - { country: DE, effective_from: 2007-01-01, percent: 19, name: USt }
///   - { country: US, effective_from: 2000-01-01, percent: 0, name: Sales tax }
/// ```
///
/// Percents are read exactly from their text; a country may have several
/// rates over time, never two from the same day.
public enum TaxRateFile {
    public static func parseAll(path: String) -> (rates: [TaxRate], problems: [ImportProblem]) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return ([], [ImportProblem(file: path, line: nil, "no such file or folder")])
        }
        let files = isDirectory.boolValue
            ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
                .sorted().map { (path as NSString).appendingPathComponent($0) }
            : [path]
        var rates: [TaxRate] = []
        var problems: [ImportProblem] = []
        var seen: [String: String] = [:]
        for file in files {
            var reader = YAMLRecords(file: file)
            for record in reader.records(under: "tax_rates", allowed: ["country", "effective_from", "percent", "name"]) {
                guard let (country, countryLine) = reader.text(record, "country"), let (from, fromLine) = reader.text(record, "effective_from"),
                    let (percentText, percentLine) = reader.text(record, "percent"), let (name, _) = reader.text(record, "name")
                else { continue }
                guard country.count == 2, country.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
                    reader.problem(countryLine, "country", country, "is not an ISO 3166 alpha-2 code")
                    continue
                }
                guard let date = try? CivilDate(parsing: from) else {
                    reader.problem(fromLine, "effective_from", from, "is not a date (YYYY-MM-DD)")
                    continue
                }
                guard let percent = try? ExactDecimal(parsing: percentText), !percent.isNegative, percent < ExactDecimal(100),
                    percent.decimalPlaces <= 4
                else {
                    reader.problem(percentLine, "percent", percentText, "must be a percentage from 0 to below 100, up to 4 decimals")
                    continue
                }
                let key = "\(country)@\(date)"
                if let first = seen[key] {
                    reader.problem(fromLine, "effective_from", from, "\(country) already has a rate from that day (\(first))")
                    continue
                }
                seen[key] = "\(file):\(record.line)"
                rates.append(TaxRate(country: country, effectiveFrom: date, percent: percent, name: name))
            }
            problems += reader.problems
        }
        return (rates.sorted { ($0.country, $0.effectiveFrom) < ($1.country, $1.effectiveFrom) }, problems)
    }
}
