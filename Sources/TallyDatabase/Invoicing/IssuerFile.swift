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
            if let days = values["payment_terms_days"], Int(days) == nil || Int(days)! < 0 || Int(days)! > 365 {
                reader.problem(record.fields["payment_terms_days"]?.line ?? record.line, "payment_terms_days", days, "must be 0 to 365 days")
            }
            if let id = values["id"], !id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) {
                reader.problem(record.line, "id", id, "letters, digits and '-' only")
            }
        }
        guard reader.problems.isEmpty, let record, record.fields.count == fields.count else {
            throw ImportError(reader.problems.isEmpty ? [ImportProblem(file: path, line: nil, "incomplete issuer")] : reader.problems)
        }
        return Issuer(
            id: values["id"]!, name: values["name"]!, street: values["street"]!, city: values["city"]!, postcode: values["postcode"]!,
            country: values["country"]!, vatID: values["vat_id"]!, email: values["email"]!,
            paymentTermsDays: Int(values["payment_terms_days"]!)!, iban: values["iban"]!, bic: values["bic"]!)
    }
}
