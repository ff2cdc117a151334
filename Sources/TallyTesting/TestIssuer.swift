import TallyCore

extension Issuer {
    /// The issuer database tests invoice as (an NL company, so EU customers
    /// elsewhere can be on reverse charge): one fixture, so expected
    /// documents agree across suites.
    public static let test = Issuer(
        id: "TEST", name: "Tally Compute B.V.", street: "Keizersgracht 1", city: "Amsterdam", postcode: "1015 CJ", country: "NL",
        vatID: "NL859123456B01", email: "billing@tally.example", paymentTermsDays: 30, iban: "NL91ABNA0417164300", bic: "ABNANL2A")
}
