/// How every invoice renderer (JSON, CSV, text, HTML) writes figures, so the
/// four formats of one invoice can never disagree on a digit.
///
/// Nothing here rounds: a built invoice's amounts are already rounded once to
/// the currency's minor unit (SPEC §2), and prices keep the decimals their
/// card states (and every decimal a derived price has). A figure with more
/// places than expected is printed in full rather than silently shortened.
enum InvoiceFormat {
    /// `12.50`, JPY `1200`: the currency's minor units exactly (more only if
    /// the amount really has more, which a verified invoice never does).
    static func amount(_ money: Money) -> String {
        money.exactText
    }

    /// `1,234.50`: ``amount(_:)`` with thousands separators, for people.
    static func displayAmount(_ money: Money) -> String {
        grouped(amount(money))
    }

    /// `1,234.50 USD`.
    static func displayMoney(_ money: Money) -> String {
        "\(displayAmount(money)) \(money.currency.code)"
    }

    /// A price per 1M tokens for machines, as its card states it
    /// (`0.550000`, `0.38`, `2`): the text a reader compares with the card.
    static func price(_ price: StatedPrice) -> String {
        price.description
    }

    /// Prices of a table, all with the same number of places (the most any
    /// line shows, at least the currency's minor units) so their points line
    /// up: `0.050`, `0.125`, `2.500`. Only zeros are added; nothing is rounded.
    static func displayPrices(_ lines: [InvoiceLine], _ currency: Currency) -> [String] {
        let places = lines.reduce(currency.minorUnits) { max($0, $1.unitPrice.places) }
        return lines.map { grouped($0.unitPricePerMillion.formatted(places: places)) }
    }

    /// A tax percent for machines: at least two places (`19.00`, `7.70`, `0.00`),
    /// more if the rate has them.
    static func percent(_ value: ExactDecimal) -> String {
        value.formatted(places: max(2, value.decimalPlaces))
    }

    /// A tax percent for people: the shortest exact text (`19`, `7.7`).
    static func displayPercent(_ value: ExactDecimal) -> String {
        value.description
    }

    /// `1,500,000`.
    static func displayCount(_ value: Int64) -> String {
        grouped(String(value))
    }

    /// Inserts `,` every three digits of the integer part of plain decimal
    /// text (`-1234567.5` → `-1,234,567.5`).
    static func grouped(_ text: String) -> String {
        var sign = ""
        var rest = Substring(text)
        if rest.first == "-" {
            sign = "-"
            rest = rest.dropFirst()
        }
        let point = rest.firstIndex(of: ".") ?? rest.endIndex
        let integer = Array(rest[..<point])
        var out = ""
        for (index, digit) in integer.enumerated() {
            if index > 0 && (integer.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return sign + out + rest[point...]
    }

    /// `public@2026-11-01T00:00:00Z`, with the base card for overrides.
    static func card(_ source: PriceSource) -> String {
        source.description
    }

    /// What an untagged usage row is called where a blank would look like a gap.
    static let untagged = "(untagged)"

    /// The human name of a status (`Draft`, `Finalized`, …).
    static func displayStatus(_ status: Invoice.Status) -> String {
        status.rawValue.prefix(1).uppercased() + status.rawValue.dropFirst()
    }

    /// "standard", "reverse charge", "exempt".
    static func displayTreatment(_ treatment: Customer.TaxTreatment) -> String {
        treatment.rawValue.replacingUnderscores
    }

    /// "VAT 19% on 1,113.45", the label of a tax line (`grouped: false`
    /// for CSV, where a thousands comma would only get in the way).
    static func taxLabel(_ tax: InvoiceTax, grouped: Bool = true) -> String {
        "\(tax.name) \(displayPercent(tax.percent))% on \(grouped ? displayAmount(tax.base) : amount(tax.base))"
    }
}

extension String {
    /// `reverse_charge` → `reverse charge`.
    fileprivate var replacingUnderscores: String {
        String(map { $0 == "_" ? " " : $0 })
    }
}
