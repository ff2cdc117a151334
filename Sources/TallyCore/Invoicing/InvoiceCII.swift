/// Renders finalized invoices and credit notes as EN 16931 e-invoices in
/// UN/CEFACT Cross Industry Invoice syntax, Factur-X / ZUGFeRD profile
/// EN16931 (SPEC §5). Pure: it builds the XML text itself, so the core needs
/// no XML library and the output is byte-for-byte reproducible.
///
/// The documents pass the Factur-X EN16931 XSD and the EN 16931 schematron
/// (`scripts/validate-cii.py`); docs/e-invoices.md maps each field to its
/// business term (BT) and explains the choices the rules forced:
/// - usage lines are quantities of tokens (unit `C62`, "one") with the price
///   per 1,000,000 tokens as net price over a base quantity of 1,000,000, so
///   the price is the rate card's, exact to its last digit;
/// - promotional credits are document-level allowances in the invoice's VAT
///   category, which is how EN 16931 reduces the taxable amount before tax;
/// - an invoice not subject to VAT (category O) may carry no VAT identifier
///   (BR-O-02), so the issuer's number is given as a tax registration (`FC`)
///   and the customer's is left out;
/// - EN 16931 needs at least one line (BR-16) and at most two decimals on
///   amounts (BR-DEC-*), so an invoice without usage and currencies with three
///   minor digits have no e-invoice: rendering them throws.
public enum InvoiceCII {
    /// The specification identifier (BT-24) of the EN16931 profile.
    public static let guideline = "urn:cen.eu:en16931:2017"
    /// UN/ECE Recommendation 20 "one": a token is a count, not a measure.
    public static let tokenUnitCode = "C62"
    /// Prices are quoted per this many tokens (BT-149, the base quantity).
    public static let priceBaseQuantity: Int64 = 1_000_000

    /// The invoice as an EN 16931 CII document (type 380, commercial invoice).
    /// Throws for a draft (it has no number yet), an invoice whose totals do
    /// not follow from its lines, or one EN 16931 cannot express.
    public static func render(_ invoice: Invoice) throws -> String {
        guard invoice.status != .draft, let number = invoice.number, let issueDate = invoice.issueDate else {
            throw InvoiceError(.state, "\(invoice.name) is a draft: only a finalized invoice has an e-invoice")
        }
        try invoice.verify()
        guard !invoice.lines.isEmpty else {
            throw InvoiceError(
                .state, "\(number) has no lines: EN 16931 needs at least one invoice line (BR-16), so an invoice without usage has no e-invoice")
        }
        let tax = try onlyTax(invoice.taxes, of: number)
        let dueDate = invoice.dueDate ?? issueDate.adding(days: invoice.issuer.paymentTermsDays)
        let lines = invoice.lines.map { line in
            Line(id: line.number, sellerID: line.model, name: line.description(invoicePeriod: invoice.period),
                 quantity: line.quantity, price: line.unitPrice, baseQuantity: priceBaseQuantity,
                 period: line.usageMonth, amount: line.amount)
        }
        let allowances = invoice.credits.map { credit in
            Allowance(amount: credit.amount, reason: "Promotional credit \(credit.grantID): \(credit.reason)")
        }
        let document = Document(
            number: number, typeCode: "380", issueDate: issueDate, notes: [tax.category.note].compactMap { $0 },
            issuer: invoice.issuer, customer: invoice.customer, period: invoice.period, currency: invoice.currency,
            lines: lines, allowances: allowances, tax: tax, lineTotal: invoice.subtotal, allowanceTotal: invoice.creditsTotal,
            grandTotal: invoice.total,
            payment: .transfer(dueDate: dueDate, terms: "Payment due within \(invoice.issuer.paymentTermsDays) days of the invoice date, by \(dueDate)."),
            precedingInvoice: nil)
        return try document.xml()
    }

    /// The credit note as an EN 16931 CII document (type 381) referencing the
    /// invoice it corrects (BT-25). Amounts are positive, as EN 16931 wants
    /// them on a credit note: they are what the customer is owed.
    public static func render(_ note: CreditNote) throws -> String {
        guard !note.number.isEmpty, !note.invoiceNumber.isEmpty else {
            throw InvoiceError(.state, "a credit note needs its own number and the invoice's to have an e-invoice")
        }
        guard !note.lines.isEmpty else {
            throw InvoiceError(.state, "\(note.number) has no lines: EN 16931 needs at least one line (BR-16)")
        }
        let tax = try onlyTax(note.taxes, of: note.number)
        let lines = note.lines.enumerated().map { index, line in
            // A credit line gives back money, not tokens: one credit of the amount.
            Line(id: index + 1, sellerID: nil, name: "Credit of \(note.invoiceNumber) line \(line.invoiceLine): \(line.description)",
                 quantity: 1, price: StatedPrice(line.amount.amount, places: note.currency.minorUnits), baseQuantity: nil, period: nil, amount: line.amount)
        }
        let lineTotal = try note.lines.map(\.amount).sum(in: note.currency)
        var allowances: [Allowance] = []
        if !note.creditsReturned.isZero {
            allowances.append(Allowance(
                amount: note.creditsReturned,
                reason: "Promotional credits \(note.invoiceNumber) had applied, returned to the customer's grants"))
        }
        try check(tax.base == note.net && (try lineTotal - note.creditsReturned) == note.net, note.number, "its net")
        try check(note.total == (try note.net + note.taxTotal) && note.taxTotal == tax.amount, note.number, "its total")
        let document = Document(
            number: note.number, typeCode: "381", issueDate: note.issueDate,
            notes: ["Credit note for \(note.invoiceNumber): \(note.reason)"] + [tax.category.note].compactMap { $0 },
            issuer: note.issuer, customer: note.customer, period: note.period, currency: note.currency,
            lines: lines, allowances: allowances, tax: tax, lineTotal: lineTotal, allowanceTotal: note.creditsReturned,
            grandTotal: note.total,
            payment: .credit(terms: "Credit note: \(note.total.formattedAmount()) \(note.currency.code) is owed to the buyer; nothing to pay."),
            precedingInvoice: note.invoiceNumber)
        return try document.xml()
    }

    /// Every line of a CII document carries one VAT category and rate; Tally
    /// taxes a whole invoice at one rate, and the renderer relies on it.
    private static func onlyTax(_ taxes: [InvoiceTax], of name: String) throws -> InvoiceTax {
        guard taxes.count == 1, let tax = taxes.first else {
            throw InvoiceError(.inconsistent, "\(name) has \(taxes.count) tax rates: its e-invoice needs exactly one")
        }
        return tax
    }

    private static func check(_ condition: Bool, _ name: String, _ what: String) throws {
        guard condition else { throw InvoiceError(.inconsistent, "\(name): \(what) does not follow from its lines") }
    }

    // MARK: - The document, as EN 16931 sees it

    private struct Line {
        var id: Int
        var sellerID: String?
        var name: String
        var quantity: Int64
        /// Usage lines: the card's price as it states it; credit lines: the amount.
        var price: StatedPrice
        var baseQuantity: Int64?
        var period: BillingMonth?
        var amount: Money
    }

    private struct Allowance {
        var amount: Money
        var reason: String
    }

    private enum Payment {
        /// SEPA credit transfer to the issuer's account, due on a date.
        case transfer(dueDate: CivilDate, terms: String)
        /// A credit note: nothing is paid to the issuer.
        case credit(terms: String)
    }

    private struct Document {
        var number: String
        var typeCode: String
        var issueDate: CivilDate
        var notes: [String]
        var issuer: Issuer
        var customer: Customer
        var period: BillingMonth
        var currency: Currency
        var lines: [Line]
        var allowances: [Allowance]
        var tax: InvoiceTax
        var lineTotal: Money
        var allowanceTotal: Money
        var grandTotal: Money
        var payment: Payment
        var precedingInvoice: String?

        /// Category O forbids VAT identifiers (BR-O-02).
        var notSubjectToVAT: Bool { tax.category == .outsideScope }

        func xml() throws -> String {
            guard currency.minorUnits <= 2 else {
                throw InvoiceError(
                    .currency, "\(number): EN 16931 allows at most 2 decimals on amounts (BR-DEC-*), \(currency) has \(currency.minorUnits)")
            }
            var x = XMLText()
            x.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
            x.open("rsm:CrossIndustryInvoice", attributes: [
                ("xmlns:rsm", "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"),
                ("xmlns:ram", "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"),
                ("xmlns:qdt", "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"),
                ("xmlns:udt", "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"),
            ])
            x.open("rsm:ExchangedDocumentContext")
            x.open("ram:GuidelineSpecifiedDocumentContextParameter")
            x.element("ram:ID", InvoiceCII.guideline)  // BT-24
            x.close()
            x.close()

            x.open("rsm:ExchangedDocument")
            x.element("ram:ID", number)  // BT-1
            x.element("ram:TypeCode", typeCode)  // BT-3
            date("ram:IssueDateTime", issueDate, &x)  // BT-2
            for note in notes {  // BG-1
                x.open("ram:IncludedNote")
                x.element("ram:Content", note)  // BT-22
                x.close()
            }
            x.close()

            x.open("rsm:SupplyChainTradeTransaction")
            for line in lines { try lineItem(line, &x) }
            try agreement(&x)
            x.open("ram:ApplicableHeaderTradeDelivery")
            x.open("ram:ActualDeliverySupplyChainEvent")
            // BT-72: usage is supplied all month and invoiced at its end,
            // the day whose tax rate applies (InvoiceBuilder.taxDate).
            date("ram:OccurrenceDateTime", InvoiceBuilder.taxDate(period), &x)
            x.close()
            x.close()
            try settlement(&x)
            x.close()
            x.close()
            return x.text
        }

        private func lineItem(_ line: Line, _ x: inout XMLText) throws {
            x.open("ram:IncludedSupplyChainTradeLineItem")  // BG-25
            x.open("ram:AssociatedDocumentLineDocument")
            x.element("ram:LineID", String(line.id))  // BT-126
            x.close()
            x.open("ram:SpecifiedTradeProduct")
            if let sellerID = line.sellerID { x.element("ram:SellerAssignedID", sellerID) }  // BT-155
            x.element("ram:Name", line.name)  // BT-153
            x.close()
            x.open("ram:SpecifiedLineTradeAgreement")
            x.open("ram:NetPriceProductTradePrice")
            // BT-146, exact, as the card states it (`0.550000`, `2`); a derived
            // price per 1M tokens may have up to 18 places.
            x.element("ram:ChargeAmount", line.price.description)
            if let base = line.baseQuantity {
                x.element("ram:BasisQuantity", String(base), attributes: [("unitCode", InvoiceCII.tokenUnitCode)])  // BT-149, BT-150
            }
            x.close()
            x.close()
            x.open("ram:SpecifiedLineTradeDelivery")
            x.element("ram:BilledQuantity", String(line.quantity), attributes: [("unitCode", InvoiceCII.tokenUnitCode)])  // BT-129, BT-130
            x.close()
            x.open("ram:SpecifiedLineTradeSettlement")
            x.open("ram:ApplicableTradeTax")  // BG-30
            x.element("ram:TypeCode", "VAT")
            x.element("ram:CategoryCode", tax.category.code)  // BT-151
            if !notSubjectToVAT { x.element("ram:RateApplicablePercent", tax.percent.description) }  // BT-152 (not for O: BR-O-05)
            x.close()
            if let usage = line.period { billingPeriod(usage, &x) }  // BG-26
            x.open("ram:SpecifiedTradeSettlementLineMonetarySummation")
            x.element("ram:LineTotalAmount", try amount(line.amount))  // BT-131
            x.close()
            x.close()
            x.close()
        }

        private func agreement(_ x: inout XMLText) throws {
            x.open("ram:ApplicableHeaderTradeAgreement")
            x.open("ram:SellerTradeParty")  // BG-4
            x.element("ram:ID", issuer.id)  // BT-29
            x.element("ram:Name", issuer.name)  // BT-27
            if !issuer.email.isEmpty {
                x.open("ram:DefinedTradeContact")  // BG-6
                x.open("ram:EmailURIUniversalCommunication")
                x.element("ram:URIID", issuer.email)  // BT-43
                x.close()
                x.close()
            }
            x.open("ram:PostalTradeAddress")  // BG-5
            x.element("ram:PostcodeCode", issuer.postcode)  // BT-38
            x.element("ram:LineOne", issuer.street)  // BT-35
            x.element("ram:CityName", issuer.city)  // BT-37
            x.element("ram:CountryID", issuer.country)  // BT-40
            x.close()
            electronicAddress(issuer.email, &x)  // BT-34
            if !issuer.vatID.isEmpty {
                // BT-31 (VA); under category O a VAT identifier is not allowed
                // (BR-O-02), so the number is the seller's tax registration (BT-32, FC).
                x.open("ram:SpecifiedTaxRegistration")
                x.element("ram:ID", issuer.vatID, attributes: [("schemeID", notSubjectToVAT ? "FC" : "VA")])
                x.close()
            }
            x.close()
            x.open("ram:BuyerTradeParty")  // BG-7
            x.element("ram:ID", customer.id)  // BT-46
            x.element("ram:Name", customer.name)  // BT-44
            x.open("ram:PostalTradeAddress")  // BG-8
            x.element("ram:CountryID", customer.country)  // BT-55
            x.close()
            electronicAddress(customer.billingEmail, &x)  // BT-49
            if let vatID = customer.vatID, !vatID.isEmpty, !notSubjectToVAT {
                x.open("ram:SpecifiedTaxRegistration")
                x.element("ram:ID", vatID, attributes: [("schemeID", "VA")])  // BT-48 (not for O: BR-O-02)
                x.close()
            }
            x.close()
            x.close()
        }

        private func settlement(_ x: inout XMLText) throws {
            x.open("ram:ApplicableHeaderTradeSettlement")
            if precedingInvoice == nil { x.element("ram:PaymentReference", number) }  // BT-83
            x.element("ram:InvoiceCurrencyCode", currency.code)  // BT-5
            if case .transfer = payment, !issuer.iban.isEmpty {
                x.open("ram:SpecifiedTradeSettlementPaymentMeans")  // BG-16
                x.element("ram:TypeCode", "58")  // BT-81: SEPA credit transfer
                x.open("ram:PayeePartyCreditorFinancialAccount")
                x.element("ram:IBANID", issuer.iban.filter { $0 != " " })  // BT-84
                x.close()
                if !issuer.bic.isEmpty {
                    x.open("ram:PayeeSpecifiedCreditorFinancialInstitution")
                    x.element("ram:BICID", issuer.bic)  // BT-86
                    x.close()
                }
                x.close()
            }
            x.open("ram:ApplicableTradeTax")  // BG-23
            x.element("ram:CalculatedAmount", try amount(tax.amount))  // BT-117
            x.element("ram:TypeCode", "VAT")
            if let note = tax.category.note { x.element("ram:ExemptionReason", note) }  // BT-120
            x.element("ram:BasisAmount", try amount(tax.base))  // BT-116
            x.element("ram:CategoryCode", tax.category.code)  // BT-118
            if let code = tax.category.exemptionCode { x.element("ram:ExemptionReasonCode", code) }  // BT-121
            if !notSubjectToVAT { x.element("ram:RateApplicablePercent", tax.percent.description) }  // BT-119
            x.close()
            billingPeriod(period, &x)  // BG-14
            for allowance in allowances {
                x.open("ram:SpecifiedTradeAllowanceCharge")  // BG-20
                x.open("ram:ChargeIndicator")
                x.element("udt:Indicator", "false")
                x.close()
                x.element("ram:ActualAmount", try amount(allowance.amount))  // BT-92
                x.element("ram:Reason", allowance.reason)  // BT-97
                x.open("ram:CategoryTradeTax")
                x.element("ram:TypeCode", "VAT")
                x.element("ram:CategoryCode", tax.category.code)  // BT-95
                if !notSubjectToVAT { x.element("ram:RateApplicablePercent", tax.percent.description) }  // BT-96 (not for O: BR-O-06)
                x.close()
                x.close()
            }
            x.open("ram:SpecifiedTradePaymentTerms")
            switch payment {
            case .transfer(let dueDate, let terms):
                x.element("ram:Description", terms)  // BT-20
                date("ram:DueDateDateTime", dueDate, &x)  // BT-9
            case .credit(let terms):
                x.element("ram:Description", terms)
            }
            x.close()
            let basis = try lineTotal - allowanceTotal
            x.open("ram:SpecifiedTradeSettlementHeaderMonetarySummation")  // BG-22
            x.element("ram:LineTotalAmount", try amount(lineTotal))  // BT-106
            x.element("ram:AllowanceTotalAmount", try amount(allowanceTotal))  // BT-107
            x.element("ram:TaxBasisTotalAmount", try amount(basis))  // BT-109
            x.element("ram:TaxTotalAmount", try amount(tax.amount), attributes: [("currencyID", currency.code)])  // BT-110
            x.element("ram:GrandTotalAmount", try amount(grandTotal))  // BT-112
            x.element("ram:DuePayableAmount", try amount(grandTotal))  // BT-115
            x.close()
            if let precedingInvoice {
                x.open("ram:InvoiceReferencedDocument")  // BG-3
                x.element("ram:IssuerAssignedID", precedingInvoice)  // BT-25
                x.close()
            }
            x.close()
        }

        /// BT-34 / BT-49: an e-mail address as electronic address (EAS `EM`).
        private func electronicAddress(_ email: String, _ x: inout XMLText) {
            guard !email.isEmpty else { return }
            x.open("ram:URIUniversalCommunication")
            x.element("ram:URIID", email, attributes: [("schemeID", "EM")])
            x.close()
        }

        /// An amount with exactly the currency's minor units; amounts on an
        /// invoice are rounded once when computed, never here.
        private func amount(_ money: Money) throws -> String {
            guard money.currency == currency, money.isRoundedToMinorUnits else {
                throw InvoiceError(.inconsistent, "\(number): \(money) is not a whole number of \(currency) minor units")
            }
            return money.amount.formatted(places: currency.minorUnits)
        }

        private func date(_ name: String, _ date: CivilDate, _ x: inout XMLText) {
            x.open(name)
            x.element("udt:DateTimeString", Self.compact(date), attributes: [("format", "102")])
            x.close()
        }

        /// BG-14 on the header, BG-26 on a line: a calendar month, both days included.
        private func billingPeriod(_ month: BillingMonth, _ x: inout XMLText) {
            x.open("ram:BillingSpecifiedPeriod")
            date("ram:StartDateTime", month.firstDay, &x)
            date("ram:EndDateTime", InvoiceBuilder.taxDate(month), &x)
            x.close()
        }

        /// `20261130`: date format 102 (CCYYMMDD).
        private static func compact(_ date: CivilDate) -> String {
            CivilDate.pad(date.year, 4) + CivilDate.pad(date.month, 2) + CivilDate.pad(date.day, 2)
        }
    }

    // MARK: - XML text

    /// Indented XML built as text. Every value and attribute passes through
    /// ``escaped(_:)``; empty optional values are skipped, because an empty
    /// element is an error in the rules (PEPPOL-EN16931-R008).
    struct XMLText {
        private(set) var text = ""
        private var stack: [String] = []

        mutating func raw(_ string: String) { text += string }

        mutating func open(_ name: String, attributes: [(String, String)] = []) {
            indent()
            text += "<" + name + Self.attributes(attributes) + ">\n"
            stack.append(name)
        }

        mutating func close() {
            let name = stack.removeLast()
            indent()
            text += "</" + name + ">\n"
        }

        /// `<name>value</name>`, or nothing when the value is empty.
        mutating func element(_ name: String, _ value: String, attributes: [(String, String)] = []) {
            guard !value.isEmpty else { return }
            indent()
            text += "<" + name + Self.attributes(attributes) + ">" + Self.escaped(value) + "</" + name + ">\n"
        }

        private mutating func indent() {
            text += String(repeating: "  ", count: stack.count)
        }

        private static func attributes(_ list: [(String, String)]) -> String {
            list.map { " " + $0.0 + "=\"" + escaped($0.1) + "\"" }.joined()
        }

        /// Escapes the five XML specials everywhere (so one function serves
        /// text and attributes), keeps a carriage return as `&#13;` (a parser
        /// would turn it into a line feed), and replaces the control
        /// characters XML 1.0 cannot carry at all, even escaped, with U+FFFD.
        static func escaped(_ value: String) -> String {
            var out = ""
            out.unicodeScalars.reserveCapacity(value.unicodeScalars.count)
            for scalar in value.unicodeScalars {
                switch scalar {
                case "&": out += "&amp;"
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                case "\"": out += "&quot;"
                case "'": out += "&apos;"
                case "\r": out += "&#13;"
                case "\t", "\n": out.unicodeScalars.append(scalar)
                case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF:
                    out.unicodeScalars.append("\u{FFFD}")
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out
        }
    }
}
