import Foundation
import TallyCore

/// How an invoice's lines, taxes and usage by tag are stored in its row
/// (`invoices.lines`, `.taxes`, `.tag_usage`): JSON arrays of flat objects,
/// every number that is money or a token count as an exact decimal string,
/// absent optional values left out,
/// so PostgreSQL and this reader never pass it through a binary
/// float. Keys (docs/invoices.md) are what `json_to_recordset` reads in SQL.
enum InvoiceParts {
    // MARK: Writing

    static func lines(_ lines: [InvoiceLine]) -> [UInt8] {
        var json = JSONArrayWriter(capacity: lines.count * 200)
        // An invoice cites a few card versions over many lines: format each once.
        var versions: [UTCTimestamp: String] = [:]
        func text(_ version: UTCTimestamp) -> String {
            if let text = versions[version] { return text }
            let text = version.description
            versions[version] = text
            return text
        }
        for line in lines {
            json.beginObject()
            json.field("line", raw: String(line.number))
            json.field("usage_month", line.usageMonth.description)
            json.field("model", line.model)
            json.field("class", line.tokenClass.rawValue)
            json.field("card", line.source.card)
            json.field("version", text(line.source.version))
            json.field("base_card", line.source.baseCard)
            json.field("base_version", line.source.baseVersion.map(text))
            json.field("band", raw: String(line.band))
            json.field("band_label", line.bandLabel)
            json.field("quantity", String(line.quantity))
            json.field("unit_price", line.unitPrice.description)
            json.field("amount", line.amount.amount.description)
        }
        return json.finish()
    }

    static func taxes(_ taxes: [InvoiceTax]) -> [UInt8] {
        var json = JSONArrayWriter(capacity: taxes.count * 120)
        for tax in taxes {
            json.beginObject()
            json.field("category", tax.category.rawValue)
            json.field("name", tax.name)
            json.field("percent", tax.percent.description)
            json.field("base", tax.base.amount.description)
            json.field("amount", tax.amount.amount.description)
        }
        return json.finish()
    }

    static func tagUsage(_ usage: [TagUsage]) -> [UInt8] {
        var json = JSONArrayWriter(capacity: usage.count * 140)
        for u in usage {
            json.beginObject()
            json.field("tag", u.tag)
            json.field("model", u.model)
            json.field("input", String(u.tokens.input))
            json.field("cached_input", String(u.tokens.cachedInput))
            json.field("output", String(u.tokens.output))
            json.field("events", String(u.events))
        }
        return json.finish()
    }

    /// The customer as the invoice keeps it, in the form `Customer`'s
    /// `Codable` reads back (JSONEncoder cost more than pricing the invoice).
    static func customer(_ c: Customer) -> [UInt8] {
        var json = JSONArrayWriter(capacity: 256, array: false)
        json.beginObject()
        json.field("billingEmail", c.billingEmail)
        json.field("card", c.card)
        json.field("country", c.country)
        json.field("currency", c.currency.code)
        json.field("id", c.id)
        json.field("name", c.name)
        json.field("taxTreatment", c.taxTreatment.rawValue)
        json.field("vatID", c.vatID)
        return json.finish()
    }

    /// Appends an array of flat objects to one byte buffer (no intermediate
    /// strings, arrays or joins: a run writes a few hundred thousand lines).
    private struct JSONArrayWriter {
        private var bytes: [UInt8] = []
        private var firstField = true
        private var isEmpty = true
        /// False for a single object without the brackets of an array.
        private let array: Bool

        init(capacity: Int, array: Bool = true) {
            self.array = array
            bytes.reserveCapacity(capacity)
            if array { bytes.append(UInt8(ascii: "[")) }
        }

        mutating func beginObject() {
            if !isEmpty {
                bytes.append(UInt8(ascii: "}"))
                bytes.append(UInt8(ascii: ","))
            }
            bytes.append(UInt8(ascii: "{"))
            isEmpty = false
            firstField = true
        }

        /// A string value (quoted and escaped); a nil value is left out (a
        /// missing key reads as null, and a third of a line's bytes were nulls).
        mutating func field(_ key: StaticString, _ value: String?) {
            guard let value else { return }
            self.key(key)
            if InvoiceJSON.needsEscapes(value) {
                bytes.append(contentsOf: InvoiceJSON.quoted(value).utf8)
            } else {
                bytes.append(UInt8(ascii: "\""))
                bytes.append(contentsOf: value.utf8)
                bytes.append(UInt8(ascii: "\""))
            }
        }

        /// A value written as is (a JSON number).
        mutating func field(_ key: StaticString, raw value: String) {
            self.key(key)
            bytes.append(contentsOf: value.utf8)
        }

        private mutating func key(_ key: StaticString) {
            if !firstField { bytes.append(UInt8(ascii: ",")) }
            firstField = false
            bytes.append(UInt8(ascii: "\""))
            key.withUTF8Buffer { bytes.append(contentsOf: $0) }
            bytes.append(UInt8(ascii: "\""))
            bytes.append(UInt8(ascii: ":"))
        }

        consuming func finish() -> [UInt8] {
            if !isEmpty { bytes.append(UInt8(ascii: "}")) }
            if array { bytes.append(UInt8(ascii: "]")) }
            return bytes
        }
    }

    // MARK: Reading

    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    static func lines(_ json: String, currency: Currency) throws -> [InvoiceLine] {
        try objects(json).map { o in
            guard let tokenClass = TokenClass(rawValue: try o.text("class")) else { throw Malformed(description: "unknown token class") }
            return InvoiceLine(
                number: try o.int("line"), usageMonth: try BillingMonth(parsing: try o.text("usage_month")), model: try o.text("model"),
                tokenClass: tokenClass,
                source: PriceSource(card: try o.text("card"), version: try UTCTimestamp(parsing: try o.text("version")),
                                    baseCard: o.optional("base_card"), baseVersion: try o.optional("base_version").map { try UTCTimestamp(parsing: $0) }),
                band: try o.int("band"), bandLabel: o.optional("band_label"), quantity: try o.int64("quantity"),
                unitPrice: try StatedPrice(parsing: try o.text("unit_price")), amount: Money(try o.decimal("amount"), currency))
        }
    }

    static func taxes(_ json: String, currency: Currency) throws -> [InvoiceTax] {
        try objects(json).map { o in
            guard let category = TaxCategory(rawValue: try o.text("category")) else { throw Malformed(description: "unknown tax category") }
            return InvoiceTax(category: category, name: try o.text("name"), percent: try o.decimal("percent"),
                              base: Money(try o.decimal("base"), currency), amount: Money(try o.decimal("amount"), currency))
        }
    }

    static func tagUsage(_ json: String) throws -> [TagUsage] {
        try objects(json).map { o in
            TagUsage(tag: try o.text("tag"), model: try o.text("model"),
                     tokens: TokenCounts(input: try o.int64("input"), cachedInput: try o.int64("cached_input"), output: try o.int64("output")),
                     events: try o.int64("events"))
        }
    }

    private struct Object {
        let fields: [String: Any]

        func text(_ key: String) throws -> String {
            guard let value = fields[key] as? String else { throw Malformed(description: "\"\(key)\" is missing or not a string") }
            return value
        }

        func optional(_ key: String) -> String? { fields[key] as? String }

        func decimal(_ key: String) throws -> ExactDecimal { try ExactDecimal(parsing: try text(key)) }

        func int64(_ key: String) throws -> Int64 {
            guard let value = Int64(try text(key)) else { throw Malformed(description: "\"\(key)\" is not a whole number") }
            return value
        }

        /// Small integers (line and band numbers) are JSON numbers.
        func int(_ key: String) throws -> Int {
            guard let value = fields[key] as? Int else { throw Malformed(description: "\"\(key)\" is missing or not an integer") }
            return value
        }
    }

    private static func objects(_ json: String) throws -> [Object] {
        guard let array = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] else {
            throw Malformed(description: "expected a JSON array of objects")
        }
        return array.map(Object.init)
    }
}
