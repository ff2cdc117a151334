import Foundation
import Testing
@testable import TallyCore

@Suite("InvoiceRendering: JSON, CSV, text and HTML of invoices and credit notes")
struct InvoiceRenderingTests {
    // MARK: - Fixtures

    static func d(_ text: String) -> ExactDecimal { try! ExactDecimal(parsing: text) }
    static func day(_ text: String) -> CivilDate { try! CivilDate(parsing: text) }
    static func month(_ text: String) -> BillingMonth { try! BillingMonth(parsing: text) }

    static let november = month("2026-11")
    static let october = month("2026-10")
    static let source = PriceSource(card: "public", version: try! UTCTimestamp(parsing: "2026-10-01T00:00:00Z"))

    static let issuer = Issuer(
        id: "gpuco", name: "GPU Co GmbH", street: "Hauptstr. 1", city: "Berlin", postcode: "10115", country: "DE",
        vatID: "DE123456789", email: "billing@gpu.example", paymentTermsDays: 30, iban: "DE89370400440532013000",
        bic: "COBADEFFXXX")

    static func customer(
        id: String = "acme", name: String = "Acme Corp", currency: Currency = .usd, country: String = "DE",
        vatID: String? = nil, treatment: Customer.TaxTreatment = .standard
    ) -> Customer {
        Customer(id: id, name: name, billingEmail: "ap@\(id).example", country: country, vatID: vatID,
                 taxTreatment: treatment, currency: currency)
    }

    static func rated(
        _ model: String, _ tokenClass: TokenClass, _ quantity: Int64, _ price: String, _ currency: Currency = .usd,
        band: Int = 0, label: String? = nil
    ) throws -> RatedLine {
        RatedLine(model: model, tokenClass: tokenClass, source: source, band: band, bandLabel: label, quantity: quantity,
                  unitPrice: try StatedPrice(parsing: price),
                  amount: try RatedLine.amount(quantity: quantity, unitPricePerMillion: d(price), currency: currency))
    }

    static let germanVAT = TaxRate(country: "DE", effectiveFrom: day("2020-01-01"), percent: 19, name: "VAT")

    static let tags = [
        TagUsage(tag: "key-prod", model: "m-large", tokens: TokenCounts(input: 1_500_000, cachedInput: 0, output: 12_345_678),
                 events: 4_210),
        TagUsage(tag: "", model: "m-small", tokens: TokenCounts(input: 0, cachedInput: 250_000, output: 1_000), events: 12),
    ]

    /// A USD draft: two November lines (one of a tier band), one late
    /// October line, a credit, 19% VAT.
    static func usdInvoice(customer: Customer = customer(), tags: [TagUsage] = tags) throws -> Invoice {
        let usage = [
            InvoiceBuilder.MonthLines(month: november, lines: [
                try rated("m-large", .input, 1_500_000, "0.125"),
                try rated("m-large", .output, 12_345_678, "2.50", band: 1, label: "graduated band 2: tokens 1000001+"),
            ]),
            InvoiceBuilder.MonthLines(month: october, lines: [try rated("m-small", .cachedInput, 250_000, "0.05")]),
        ]
        let grant = CreditGrant(id: "G-1", customerID: customer.id, amount: Money(d("5.00"), .usd), expiresOn: day("2026-12-31"),
                                reason: "Welcome credit", grantedOn: day("2026-10-01"))
        let invoice = try InvoiceBuilder.build(
            issuer: issuer, customer: customer, period: november, usage: usage,
            credits: [(grant, grant.amount)], tax: customer.taxTreatment == .standard ? germanVAT : nil, tagUsage: tags)
        try invoice.verify()
        return invoice
    }

    /// A JPY draft: 1,234,567 tokens at ¥1000 per 1M = ¥1234.567 → ¥1235, 10% tax.
    static func jpyInvoice() throws -> Invoice {
        let customer = customer(id: "tanaka", name: "Tanaka KK", currency: .jpy, country: "JP")
        let invoice = try InvoiceBuilder.build(
            issuer: issuer, customer: customer, period: november,
            usage: [.init(month: november, lines: [try rated("m-large", .output, 1_234_567, "1000", .jpy)])], credits: [],
            tax: TaxRate(country: "JP", effectiveFrom: day("2019-10-01"), percent: 10, name: "Consumption tax"), tagUsage: [])
        try invoice.verify()
        return invoice
    }

    static func finalized(_ invoice: Invoice) -> Invoice {
        var invoice = invoice
        invoice.status = .finalized
        invoice.number = "INV-2026-000001"
        invoice.issueDate = day("2026-12-01")
        invoice.dueDate = day("2026-12-31")
        return invoice
    }

    static func jsonObject(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    static func decimal(_ value: Any?) throws -> ExactDecimal {
        let text = try #require(value as? String, "expected a JSON string, got \(String(describing: value))")
        return try ExactDecimal(parsing: text)
    }

    /// RFC 4180 records, read by Unicode scalar (Swift treats CR LF as one character).
    static func parseCSV(_ text: String) -> [[String]] {
        let scalars = Array(text.unicodeScalars)
        var rows: [[String]] = []
        var row: [String] = []
        var field = String.UnicodeScalarView()
        var quoted = false
        var index = 0
        while index < scalars.count {
            let c = scalars[index]
            if quoted {
                if c == "\"" {
                    if index + 1 < scalars.count && scalars[index + 1] == "\"" {
                        field.append("\"")
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                row.append(String(field))
                field = .init()
            } else if c == "\r" || c == "\n" {
                if c == "\r" && index + 1 < scalars.count && scalars[index + 1] == "\n" { index += 1 }
                row.append(String(field))
                rows.append(row)
                row = []
                field = .init()
            } else {
                field.append(c)
            }
            index += 1
        }
        if !field.isEmpty || !row.isEmpty {
            row.append(String(field))
            rows.append(row)
        }
        return rows
    }

    // MARK: - JSON

    @Test func jsonParsesWithAmountsAsStringsAndTotalsThatAddUp() throws {
        let invoice = try Self.usdInvoice()
        let json = try Self.jsonObject(InvoiceJSON.render(invoice))
        #expect(json["schema"] as? String == "tally.invoice/1")
        #expect(json["number"] is NSNull)
        #expect(json["name"] as? String == "acme/2026-11")
        #expect(json["status"] as? String == "draft")
        #expect(json["period"] as? String == "2026-11")
        #expect(json["currency"] as? String == "USD")
        #expect(json["issue_date"] is NSNull)
        #expect(json["due_date"] is NSNull)
        #expect(json["paid_on"] is NSNull)

        let lines = try #require(json["lines"] as? [[String: Any]])
        #expect(lines.count == 3)
        #expect(lines.map { $0["quantity"] as? Int } == [250_000, 1_500_000, 12_345_678])
        #expect(lines.map { $0["amount"] as? String } == ["0.01", "0.19", "30.86"])
        #expect(lines.map { $0["unit_price_per_million"] as? String } == ["0.05", "0.125", "2.50"])
        #expect(lines.map { $0["late"] as? Bool } == [true, false, false])
        #expect(lines[0]["usage_month"] as? String == "2026-10")
        #expect(lines[2]["band_label"] as? String == "graduated band 2: tokens 1000001+")
        #expect(lines[0]["band_label"] is NSNull)
        #expect(lines[0]["base_card"] is NSNull)
        #expect(lines[0]["card_version"] as? String == "2026-10-01T00:00:00Z")

        let credits = try #require(json["credits"] as? [[String: Any]])
        #expect(credits.count == 1)
        #expect(credits[0]["grant_id"] as? String == "G-1")
        #expect(credits[0]["amount"] as? String == "5.00")
        #expect(credits[0]["expires_on"] as? String == "2026-12-31")

        let taxes = try #require(json["taxes"] as? [[String: Any]])
        #expect(taxes.count == 1)
        #expect(taxes[0]["code"] as? String == "S")
        #expect(taxes[0]["percent"] as? String == "19.00")
        #expect(taxes[0]["note"] is NSNull)

        // Σ lines − Σ credits + Σ tax = total, read exactly from the strings.
        var recomputed = ExactDecimal.zero
        for line in lines { recomputed = try recomputed + Self.decimal(line["amount"]) }
        #expect(try Self.decimal(json["subtotal"]) == recomputed)
        for credit in credits { recomputed = try recomputed - Self.decimal(credit["amount"]) }
        #expect(try Self.decimal(json["credits_total"]) == Self.decimal(credits[0]["amount"]))
        for tax in taxes { recomputed = try recomputed + Self.decimal(tax["amount"]) }
        #expect(try Self.decimal(json["total"]) == recomputed)
        #expect(json["total"] as? String == InvoiceFormat.amount(invoice.total))
        #expect(json["tax_total"] as? String == InvoiceFormat.amount(invoice.taxTotal))

        let usage = try #require(json["usage_by_tag"] as? [[String: Any]])
        #expect(usage.count == 2)
        #expect(usage[0]["tag"] is NSNull)  // untagged sorts first
        #expect(usage[1]["tag"] as? String == "key-prod")
        #expect(usage[1]["output_tokens"] as? Int == 12_345_678)
        #expect(usage[1]["events"] as? Int == 4_210)
    }

    @Test func jsonHasFixedLayout() throws {
        let text = InvoiceJSON.render(try Self.usdInvoice())
        #expect(text.hasPrefix("{\n  \"schema\": \"tally.invoice/1\",\n  \"number\": null,\n  \"name\": \"acme/2026-11\",\n"))
        #expect(text.hasSuffix("\n}\n"))
        #expect(text.contains("\n  \"issuer\": {\n    \"id\": \"gpuco\",\n"))
    }

    @Test func jsonEscapesStringsAndKeepsUnicode() throws {
        let name = "Zoë \"Q\" \\ Ltd\nline two\t\u{01}\u{1F} ☃ 東京"
        let invoice = try Self.usdInvoice(customer: Self.customer(name: name))
        let text = InvoiceJSON.render(invoice)
        #expect(text.contains(#""name": "Zoë \"Q\" \\ Ltd\nline two\t\u0001\u001f ☃ 東京""#))
        let customer = try #require(try Self.jsonObject(text)["customer"] as? [String: Any])
        #expect(customer["name"] as? String == name)
        #expect(customer["vat_id"] is NSNull)
        #expect(customer["tax_treatment"] as? String == "standard")
    }

    // MARK: - CSV

    @Test func csvReconcilesPerInvoice() throws {
        let hostile = Self.customer(id: "acme", name: "Acme, \"the\" Corp\r\nLtd")
        let invoices = [try Self.jpyInvoice(), try Self.usdInvoice(customer: hostile)]
        let text = InvoiceCSV.render(invoices)
        #expect(text.hasSuffix("\r\n"))
        let records = Self.parseCSV(text)
        #expect(records.first == InvoiceCSV.header)
        let header = InvoiceCSV.header
        func column(_ name: String) throws -> Int { try #require(header.firstIndex(of: name)) }
        let (kindAt, amountAt, invoiceAt, nameAt, currencyAt) =
            (try column("kind"), try column("amount"), try column("invoice"), try column("customer_name"), try column("currency"))

        let rows = records.dropFirst()
        #expect(rows.allSatisfy { $0.count == header.count })
        // Sorted by period, then customer: acme before tanaka whatever the input order.
        #expect(rows.first?[invoiceAt] == "acme/2026-11")
        #expect(rows.last?[invoiceAt] == "tanaka/2026-11")
        #expect(rows.filter { $0[invoiceAt] == "acme/2026-11" }.allSatisfy { $0[nameAt] == hostile.name })

        for invoice in invoices {
            let own = rows.filter { $0[invoiceAt] == invoice.name }
            #expect(own.allSatisfy { $0[currencyAt] == invoice.currency.code })
            var lines = ExactDecimal.zero, credits = ExactDecimal.zero, tax = ExactDecimal.zero
            var totals: [ExactDecimal] = []
            for row in own {
                let amount = try ExactDecimal(parsing: row[amountAt])
                switch row[kindAt] {
                case "line": lines = try lines + amount
                case "credit": credits = try credits + amount
                case "tax": tax = try tax + amount
                case "total": totals.append(amount)
                default: Issue.record("unknown kind \(row[kindAt])")
                }
            }
            #expect(own.filter { $0[kindAt] == "line" }.count == invoice.lines.count)
            #expect(totals == [invoice.total.amount])
            #expect(try lines - credits + tax == invoice.total.amount)
            #expect(lines == invoice.subtotal.amount)
        }
    }

    @Test func csvRowsMatchTheHeaderAndQuoteOnlyWhenNeeded() throws {
        let invoice = Self.finalized(try Self.usdInvoice())
        let rows = InvoiceCSV.rows(invoice)
        #expect(rows.count == invoice.lines.count + invoice.credits.count + invoice.taxes.count + 1)
        #expect(rows.allSatisfy { $0.count == InvoiceCSV.header.count })
        #expect(rows.map { $0[1] } == ["line", "line", "line", "credit", "tax", "total"])
        #expect(rows[0][0] == "INV-2026-000001")
        #expect(rows[0][3] == "2026-12-01")
        #expect(rows[0][7] == "2026-10")
        #expect(rows[1][7] == "2026-11")
        #expect(InvoiceCSV.record(["a", "b,c", "d\"e", "f\ng", ""]) == "a,\"b,c\",\"d\"\"e\",\"f\ng\",\r\n")
    }

    // MARK: - HTML

    @Test func htmlEscapesHostileTextAndMarksDrafts() throws {
        let hostile = "<script>alert(1)</script>&\"'"
        let customer = Self.customer(name: hostile)
        let tags = [TagUsage(tag: "<b>key</b>", model: "m-large", tokens: TokenCounts(input: 1), events: 1)]
        let html = InvoiceHTML.render(try Self.usdInvoice(customer: customer, tags: tags))
        #expect(!html.contains("<script"))
        #expect(!html.contains("<b>key"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;"))
        #expect(html.contains("&lt;b&gt;key&lt;/b&gt;"))
        #expect(html.hasPrefix("<!DOCTYPE html>\n"))
        #expect(html.contains("DRAFT"))
        #expect(html.contains("class=\"watermark\""))
        #expect(!html.contains("src="))
        #expect(!html.contains("href="))

        let final = InvoiceHTML.render(Self.finalized(try Self.usdInvoice()))
        #expect(!final.contains("DRAFT"))
        #expect(!final.contains("class=\"watermark\""))
        #expect(final.contains("INV-2026-000001"))
        #expect(final.contains("2026-12-31"))
        #expect(final.contains("DE89370400440532013000"))
        #expect(final.contains("COBADEFFXXX"))
        #expect(final.contains("DE123456789"))
    }

    @Test func htmlMarksLateUsageAndPrintsTheReverseChargeNote() throws {
        let customer = Self.customer(id: "lumiere", name: "Lumière SA", country: "FR", vatID: "FR12345678901",
                                     treatment: .reverseCharge)
        let invoice = try Self.usdInvoice(customer: customer)
        #expect(invoice.taxes.first?.category == .reverseCharge)
        let html = InvoiceHTML.render(invoice)
        #expect(html.contains("Late usage of 2026-10"))
        #expect(html.contains("class=\"late\""))
        #expect(html.contains(InvoiceHTML.escape(try #require(TaxCategory.reverseCharge.note))))
        #expect(html.contains("FR12345678901"))
        #expect(html.contains("Lumière SA"))
        #expect(html.contains("Welcome credit"))
        #expect(html.contains("Usage by API key / project tag"))

        let json = try Self.jsonObject(InvoiceJSON.render(invoice))
        let taxes = try #require(json["taxes"] as? [[String: Any]])
        #expect(taxes[0]["note"] as? String == TaxCategory.reverseCharge.note)
        #expect(taxes[0]["code"] as? String == "AE")
        #expect(taxes[0]["amount"] as? String == "0.00")
    }

    // MARK: - Currencies, text, determinism, credit notes

    @Test func jpyRendersWithoutDecimals() throws {
        let invoice = try Self.jpyInvoice()
        #expect(invoice.total == Money(1359, .jpy))  // 1235 + 10% (123.5 → 124)

        let json = try Self.jsonObject(InvoiceJSON.render(invoice))
        let lines = try #require(json["lines"] as? [[String: Any]])
        #expect(lines[0]["amount"] as? String == "1235")
        #expect(lines[0]["unit_price_per_million"] as? String == "1000")
        #expect(json["subtotal"] as? String == "1235")
        #expect(json["credits_total"] as? String == "0")
        #expect(json["tax_total"] as? String == "124")
        #expect(json["total"] as? String == "1359")
        #expect(json["currency_minor_units"] as? Int == 0)

        let rows = InvoiceCSV.rows(invoice)
        let amountAt = try #require(InvoiceCSV.header.firstIndex(of: "amount"))
        #expect(rows.map { $0[amountAt] } == ["1235", "124", "1359"])

        let text = InvoiceText.render(invoice)
        #expect(text.contains("1,235"))
        #expect(text.contains("1,359"))
        #expect(!text.contains("1,235.") && !text.contains("1,359."))
        #expect(InvoiceHTML.render(invoice).contains(">1,359<"))
    }

    @Test func textShowsTheInvoiceAligned() throws {
        let text = InvoiceText.render(try Self.usdInvoice())
        #expect(text.hasPrefix("DRAFT INVOICE acme/2026-11"))
        #expect(text.contains("12,345,678"))
        #expect(text.contains("late usage of 2026-10"))
        #expect(text.contains("Credit G-1: Welcome credit (expires 2026-12-31)"))
        #expect(text.contains("VAT 19% on 26.06"))
        #expect(text.contains("(untagged)"))
        #expect(text.hasSuffix("\n"))
        #expect(!text.split(separator: "\n").contains { $0.hasSuffix(" ") })
        // Amount cells of the line table end in the same column.
        let rows = text.split(separator: "\n").filter { $0.hasPrefix("  1 ") || $0.hasPrefix("  2 ") || $0.hasPrefix("  3 ") }
        #expect(rows.count == 3)
        let amountEnds = try zip(rows, ["0.01", "0.19", "30.86"]).map { row, amount in
            let range = try #require(row.range(of: " " + amount))
            return row.distance(from: row.startIndex, to: range.upperBound)
        }
        #expect(Set(amountEnds).count == 1)
    }

    @Test func renderingsAreDeterministic() throws {
        let invoice = try Self.usdInvoice()
        let shuffled = try Self.usdInvoice(tags: Self.tags.reversed())
        #expect(InvoiceJSON.render(invoice) == InvoiceJSON.render(invoice))
        #expect(InvoiceJSON.render(invoice) == InvoiceJSON.render(shuffled))
        #expect(InvoiceCSV.render([invoice]) == InvoiceCSV.render([shuffled]))
        #expect(InvoiceText.render(invoice) == InvoiceText.render(shuffled))
        #expect(InvoiceHTML.render(invoice) == InvoiceHTML.render(shuffled))
        let jpy = try Self.jpyInvoice()
        #expect(InvoiceCSV.render([invoice, jpy]) == InvoiceCSV.render([jpy, invoice]))
    }

    @Test func emptyInvoiceStillRendersAndReconciles() throws {
        let invoice = try InvoiceBuilder.build(
            issuer: Self.issuer, customer: Self.customer(), period: Self.november, usage: [], credits: [],
            tax: Self.germanVAT, tagUsage: [])
        let json = try Self.jsonObject(InvoiceJSON.render(invoice))
        #expect((json["lines"] as? [Any])?.isEmpty == true)
        #expect(json["total"] as? String == "0.00")
        #expect(InvoiceJSON.render(invoice).contains("\"lines\": [],"))
        #expect(InvoiceCSV.rows(invoice).map { $0[1] } == ["tax", "total"])
        #expect(InvoiceText.render(invoice).contains("No usage this period."))
        #expect(InvoiceHTML.render(invoice).contains("No usage in this period."))
    }

    @Test func creditNoteRendersInEveryFormat() throws {
        let invoice = Self.finalized(try Self.usdInvoice())
        let note = try CreditNote.build(for: invoice, number: "CN-2026-000001", issueDate: Self.day("2026-12-05"),
                                        reason: "Duplicate <billing> & \"errors\"", credited: nil)
        let json = try Self.jsonObject(InvoiceJSON.render(note))
        #expect(json["schema"] as? String == "tally.credit_note/1")
        #expect(json["number"] as? String == "CN-2026-000001")
        #expect(json["invoice_number"] as? String == "INV-2026-000001")
        #expect(json["reason"] as? String == note.reason)
        #expect(json["total"] as? String == InvoiceFormat.amount(invoice.total))
        #expect(json["credits_returned"] as? String == "5.00")
        let lines = try #require(json["lines"] as? [[String: Any]])
        #expect(lines.map { $0["invoice_line"] as? Int } == [1, 2, 3])
        var net = ExactDecimal.zero
        for line in lines { net = try net + Self.decimal(line["amount"]) }
        net = try net - Self.decimal(json["credits_returned"])
        #expect(try Self.decimal(json["net"]) == net)
        #expect(try Self.decimal(json["total"]) == net + Self.decimal(json["tax_total"]))

        let html = InvoiceHTML.render(note)
        #expect(html.contains("Duplicate &lt;billing&gt; &amp; &quot;errors&quot;"))
        #expect(html.contains("INV-2026-000001"))
        #expect(!html.contains("DRAFT"))
        let text = InvoiceText.render(note)
        #expect(text.hasPrefix("CREDIT NOTE CN-2026-000001"))
        #expect(text.contains("Total credited USD"))
        #expect(InvoiceJSON.render(note) == InvoiceJSON.render(note))
        #expect(InvoiceHTML.render(note) == InvoiceHTML.render(note))
    }
}
