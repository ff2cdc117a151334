/// How an invoice is taxed, with the EN 16931 VAT category code (UNTDID 5305)
/// that e-invoices carry.
public enum TaxCategory: String, Hashable, Sendable, Codable, CaseIterable {
    /// The standard rate of the customer's country (code S).
    case standard
    /// EU business customer with a VAT id in another member state: 0%, the
    /// customer accounts for the VAT (code AE).
    case reverseCharge = "reverse_charge"
    /// Exempt from VAT (code E).
    case exempt
    /// The customer's country has no rate for this supply (0% in the tax
    /// table, e.g. outside the EU): not subject to VAT (code O).
    case outsideScope = "outside_scope"

    /// UNTDID 5305 code.
    public var code: String {
        switch self {
        case .standard: "S"
        case .reverseCharge: "AE"
        case .exempt: "E"
        case .outsideScope: "O"
        }
    }

    /// The legal note printed on the invoice, if any.
    public var note: String? {
        switch self {
        case .standard: nil
        case .reverseCharge: "Reverse charge: VAT to be accounted for by the recipient (Article 196, Council Directive 2006/112/EC)."
        case .exempt: "Exempt from VAT."
        case .outsideScope: "Not subject to VAT: the place of supply is outside the issuer's VAT area."
        }
    }

    /// The exemption reason code (VATEX) e-invoices carry for 0% categories.
    public var exemptionCode: String? {
        switch self {
        case .standard: nil
        case .reverseCharge: "VATEX-EU-AE"
        case .exempt: "VATEX-EU-132"
        case .outsideScope: "VATEX-EU-O"
        }
    }
}
