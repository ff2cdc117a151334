import Foundation
import TallyCore

/// Reads the issuer (the seller on every invoice) from `config/issuer.yaml`.
public enum IssuerFile {
    static let fields: Set<String> = ["id", "name", "street", "city", "postcode", "country", "vat_id", "email",
                                      "payment_terms_days", "iban", "bic"]

    public static func load(path: String) throws -> Issuer {
        var reader = YAMLRecords(file: path)
        let record = reader.records(under: nil, allowed: fields).first
        var values: [String: String] = [:]
        if let record {
            for field in fields.sorted() {
                if let (text, _) = reader.text(record, field) { values[field] = text }
            }
            if let days = values["payment_terms_days"], !(0...365).contains(Int(days) ?? -1) {
                reader.problem(record.fields["payment_terms_days"]?.line ?? record.line, "payment_terms_days", days, "must be 0 to 365 days")
            }
            if let id = values["id"], !id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) {
                reader.problem(record.line, "id", id, "letters, digits and '-' only")
            }
        }
        let missing = fields.filter { values[$0] == nil }.sorted()
        guard reader.problems.isEmpty, record != nil, missing.isEmpty, let days = values["payment_terms_days"].flatMap({ Int($0) }) else {
            throw ImportError(
                reader.problems.isEmpty
                    ? [ImportProblem(file: path, line: record?.line, "incomplete issuer: \(missing.joined(separator: ", ")) missing")]
                    : reader.problems)
        }
        func value(_ field: String) -> String { values[field] ?? "" }  // every field is there (checked above)
        return Issuer(
            id: value("id"), name: value("name"), street: value("street"), city: value("city"), postcode: value("postcode"),
            country: value("country"), vatID: value("vat_id"), email: value("email"),
            paymentTermsDays: days, iban: value("iban"), bic: value("bic"))
    }
}
