import Foundation
import Testing
import TallyCore
import TallyDatabase
import TallyPostgres
import TallyTesting

/// Prices keep the decimals their card states (issue 13): from the card file
/// through PostgreSQL, rating and the stored invoice to every document.
@Suite("Prices as stated")
struct StatedPriceTests {
    static let card = """
        card: stated
        currency: USD
        versions:
          - effective_from: 2026-10-01T00:00:00Z
            models:
              m:
                input: 0.550000
                cached_input: 0.38
                output:
                  tiers: graduated
                  bands:
                    - { up_to: 1000000, price: 2 }
                    - { price: 1.500 }
        """
    static let deal = """
        card: stated-deal
        currency: USD
        base: stated
        versions:
          - effective_from: 2026-10-01T00:00:00Z
            discount_percent: 10
        """
    static let taxes = """
        tax_rates:
          - { country: DE, effective_from: 2007-01-01, percent: 19, name: USt }
        """
    static let customers = """
        id,name,billing_email,country,vat_id,tax_treatment,currency,card
        acme,Acme GmbH,billing@acme.de,DE,,standard,USD,stated
        berlin,Berlin GmbH,rechnung@berlin.de,DE,,standard,USD,stated-deal
        """
    static let events = [
        #"{"id":"a1","customer":"acme","model":"m","timestamp":"2026-11-02T10:00:00Z","input_tokens":1000000,"cached_input_tokens":1000000,"output_tokens":1500000,"site":"s1","tag":""}"#,
        #"{"id":"b1","customer":"berlin","model":"m","timestamp":"2026-11-02T10:00:00Z","input_tokens":1000000,"cached_input_tokens":1000000,"output_tokens":1500000,"site":"s1","tag":""}"#,
    ]
    static let november = try! BillingMonth(parsing: "2026-11")
    static let issueDate = try! CivilDate(parsing: "2026-12-01")

    func withMonth(_ body: @escaping @Sendable (PostgresConnection) throws -> Void) async throws {
        let temp = try TemporaryFiles([
            "rates/stated.yaml": Self.card, "rates/deal.yaml": Self.deal, "tax.yaml": Self.taxes,
            "customers.csv": Self.customers, "nov.ndjson": Self.events.joined(separator: "\n"),
        ])
        defer { temp.remove() }
        try await TestDatabase.withSchema { pool, _ in
            try await pool.withConnection { db in
                let (cards, problems) = RateCardFile.parseAll(path: temp.path("rates"))
                #expect(problems.isEmpty)
                _ = try RateCardStore(db).load(cards)
                try TaxRateStore(db).load(TaxRateFile.parseAll(path: temp.path("tax.yaml")).rates)
                _ = try CustomerStore(db).importFile(temp.path("customers.csv"))
                _ = try UsageIngester(db).ingest(path: temp.path("nov.ndjson"), format: .ndjson, rejectsPath: temp.path("r.ndjson"), now: TestClock.now)
                try body(db)
            }
        }
    }

    /// The `unit_price_per_million` of each line of a JSON document.
    static func jsonPrices(_ json: String) -> [String] {
        json.split(separator: "\n").compactMap { line in
            guard let range = line.range(of: #""unit_price_per_million": ""#) else { return nil }
            return String(line[range.upperBound...].dropLast(2))
        }
    }

    /// The `unit_price_per_million` column of the CSV's line rows.
    static func csvPrices(_ csv: String) -> [String] {
        let records = csv.components(separatedBy: "\r\n").map { $0.components(separatedBy: ",") }
        guard let column = records.first?.firstIndex(of: "unit_price_per_million") else { return [] }
        return records.dropFirst().filter { $0.count > column && $0[1] == "line" }.map { $0[column] }
    }

    /// The BT-146 net prices of a CII document.
    static func ciiPrices(_ xml: String) -> [String] {
        xml.components(separatedBy: "<ram:NetPriceProductTradePrice>").dropFirst().compactMap { part in
            guard let start = part.range(of: "<ram:ChargeAmount>"), let end = part.range(of: "</ram:ChargeAmount>") else { return nil }
            return String(part[start.upperBound..<end.lowerBound])
        }
    }

    @Test func cardDecimalsReachStorageRatingAndEveryDocument() async throws {
        try await withMonth { db in
            // Stored and read back: PostgreSQL `numeric` keeps the scale.
            let cards = try RateCardStore(db).cards()
            let stated = try #require(cards.first { $0.id == "stated" }?.versions.first?.prices["m"])
            #expect(stated[.input]?.bands.map(\.price.description) == ["0.550000"])
            #expect(stated[.cachedInput]?.bands.map(\.price.description) == ["0.38"])
            #expect(stated[.output]?.bands.map(\.price.description) == ["2", "1.500"])

            // The preview (`tally rate`) rates from the stored cards.
            let usage = try UsageStore(db).hours(customer: "acme", month: Self.november)
            let rated = try Rater(book: PriceBook(cards: cards)).rate(usage: usage, card: "stated", currency: .usd)
            #expect(rated.map(\.unitPrice.description) == ["0.550000", "0.38", "2", "1.500"])

            try InvoiceRun(db, issuer: .test).run(period: Self.november)
            _ = try InvoiceStore(db).finalize(period: Self.november, customer: "acme", issuer: .test, issueDate: Self.issueDate)
            let invoice = try InvoiceStore(db).invoices(period: Self.november, customer: "acme")[0]
            let expected = ["0.550000", "0.38", "2", "1.500"]
            #expect(invoice.lines.map(\.unitPrice.description) == expected)
            // Amounts are unchanged: quantity × exact price, rounded once.
            #expect(invoice.lines.map(\.amount.amount.description) == ["0.55", "0.38", "2", "0.75"])
            #expect(Self.jsonPrices(InvoiceJSON.render(invoice)) == expected)
            #expect(Self.csvPrices(InvoiceCSV.render(invoice)) == expected)
            #expect(Self.ciiPrices(try InvoiceCII.render(invoice)) == expected)
            // People's formats pad to one number of places so the points line up.
            let text = InvoiceText.render(invoice)
            for price in ["0.550000", "0.380000", "2.000000", "1.500000"] { #expect(text.contains(price)) }
            #expect(InvoiceHTML.render(invoice).contains(">0.550000<"))
        }
    }

    @Test func aDiscountedPriceShowsAtLeastTheCardsDecimals() async throws {
        try await withMonth { db in
            try InvoiceRun(db, issuer: .test).run(period: Self.november)
            let invoice = try InvoiceStore(db).invoice(named: "berlin/2026-11")
            // 0.550000 × 0.9, 0.38 × 0.9, 2 × 0.9, 1.500 × 0.9: exact, never fewer places than stated.
            let expected = ["0.495000", "0.342", "1.8", "1.350"]
            #expect(invoice.lines.map(\.unitPrice.description) == expected)
            #expect(invoice.lines.map(\.amount.amount.description) == ["0.5", "0.34", "1.8", "0.68"])
            #expect(Self.jsonPrices(InvoiceJSON.render(invoice)) == expected)
            #expect(Self.csvPrices(InvoiceCSV.render(invoice)) == expected)
            try invoice.verify()
        }
    }

    @Test func anInvoiceStoredBeforeShowsItsPricesAsStored() async throws {
        try await withMonth { db in
            try InvoiceRun(db, issuer: .test).run(period: Self.november)
            _ = try InvoiceStore(db).finalize(period: Self.november, customer: "acme", issuer: .test, issueDate: Self.issueDate)
            // Before prices kept their decimals, lines were stored with the
            // shortest text of each price: make the issued invoice one of those
            // (its guard lifted for the test only).
            var lines = try db.execute("SELECT lines::text FROM invoices WHERE customer_id = 'acme'")[0].decode(0, as: String.self)
            for (padded, short) in [("\"0.550000\"", "\"0.55\""), ("\"1.500\"", "\"1.5\"")] {
                #expect(lines.contains(padded))
                lines = lines.replacingOccurrences(of: padded, with: short)
            }
            try db.execute("ALTER TABLE invoices DISABLE TRIGGER invoices_guard")
            try db.execute("UPDATE invoices SET lines = \(lines)::json WHERE customer_id = 'acme'")
            try db.execute("ALTER TABLE invoices ENABLE TRIGGER invoices_guard")
            let invoice = try InvoiceStore(db).invoices(period: Self.november, customer: "acme")[0]
            try invoice.verify()
            let expected = ["0.55", "0.38", "2", "1.5"]
            #expect(Self.jsonPrices(InvoiceJSON.render(invoice)) == expected)
            #expect(Self.csvPrices(InvoiceCSV.render(invoice)) == expected)
            #expect(Self.ciiPrices(try InvoiceCII.render(invoice)) == expected)
        }
    }

    @Test func restatingALockedVersionsDecimalsIsNoPriceChange() async throws {
        try await withMonth { db in
            try InvoiceRun(db, issuer: .test).run(period: Self.november)
            _ = try InvoiceStore(db).finalize(period: Self.november, issuer: .test, issueDate: Self.issueDate)
            let temp = try TemporaryFiles([
                "restated/stated.yaml": Self.card.replacingOccurrences(of: "0.550000", with: "0.55"),
                "changed/stated.yaml": Self.card.replacingOccurrences(of: "0.550000", with: "0.56"),
            ])
            defer { temp.remove() }
            let store = RateCardStore(db)
            // The same prices written with other decimals: taken, shown from now on.
            let summary = try store.load(RateCardFile.parseAll(path: temp.path("restated")).cards)
            #expect(summary.versionsChanged == 1)
            #expect(try store.versions(of: "stated")[0].prices["m"]?[.input]?.bands[0].price.description == "0.55")
            // The issued invoice keeps the text it was issued with.
            #expect(try InvoiceStore(db).invoice(named: "INV-2026-000001").lines[0].unitPrice.description == "0.550000")
            // A real price change of the locked version is still refused.
            #expect(throws: ImportError.self) { try store.load(RateCardFile.parseAll(path: temp.path("changed")).cards) }
        }
    }

    @Test func aPriceWrittenWithMoreThanSixDecimalsIsRefusedEvenIfTheyAreZeros() throws {
        #expect(throws: RuleViolation.self) { try RateCardRules.price("0.5500000").get() }
        #expect(try RateCardRules.price("0.550000").get().description == "0.550000")
    }
}
