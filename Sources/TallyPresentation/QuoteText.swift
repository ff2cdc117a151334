import Foundation
import TallyCore
import TallyDatabase

/// A quote for people (aligned table with its basis, flags and floor
/// verdict) and for tools (JSON, full precision, decimals as strings):
/// `tally quote`, `tally quote show` and (``listTable(_:grouped:)``) `tally quote list`.
///
/// Display rounds once, half away from zero: amounts to the currency's minor
/// unit, costs and market prices per 1M to 6 places, margin % to one place.
/// The price per 1M shows the decimals the card states (docs/quotes.md,
/// "Output formats"). Unknown costs print as `unknown`, never as zero.
public struct QuoteText: Sendable {
    public let quote: Quote
    public var status: Quote.Status?
    public var stored = true

    public init(quote: Quote, status: Quote.Status? = nil, stored: Bool = true) {
        self.quote = quote
        self.status = status
        self.stored = stored
    }

    public func per1M(_ value: ExactDecimal?) -> String {
        value.map { Display.number($0, places: 6, grouped: false) } ?? "unknown"
    }

    public func amount(_ value: ExactDecimal?, grouped: Bool = true) -> String {
        value.map { Display.amount($0, quote.currency, grouped: grouped) } ?? "unknown"
    }

    public func percent(_ figures: QuoteFigures) -> String {
        if figures.costUnknown { return "unknown" }
        return figures.marginPercent.map { Display.number($0, places: 1, grouped: false) + "%" } ?? "-"
    }

    public func tokens(_ n: Int64, grouped: Bool = true) -> String { grouped ? Display.group(String(n)) : String(n) }

    /// `amount` per 1M of `tokens`, across token classes (exact, shown to 6 places).
    public func blended(_ amount: ExactDecimal, _ tokens: Int64) -> String {
        blendedPerMillion(amount, tokens).map { per1M($0) } ?? "-"
    }

    public func blendedPerMillion(_ amount: ExactDecimal, _ tokens: Int64) -> ExactDecimal? {
        guard tokens > 0 else { return nil }
        return try? amount.multiplied(by: ExactDecimal(1_000_000), dividedBy: ExactDecimal(Int(tokens)), rounding: .halfEven)
    }

    /// A price per 1M with the decimals of the card prices behind it (the
    /// most any of `bands` states), and as many more as its exact value has,
    /// up to 6: a card stating `55.5` quotes `55.5`, `0.550000` quotes
    /// `0.550000`, a blend of tiers `0.552333`. Invoices show a card's prices
    /// the same way (docs/invoice-formats.md).
    public struct StatedPerMillion: Sendable {
        public let value: ExactDecimal
        public let places: Int

        public init(_ value: ExactDecimal, stating bands: [QuoteLine.Band]) {
            self.value = value
            let stated = bands.reduce(0) { max($0, $1.unitPrice.places) }
            places = min(6, max(stated, value.decimalPlaces))
        }

        public func text(places: Int? = nil) -> String {
            Display.number(value, places: places ?? self.places, grouped: false)
        }
    }

    /// "list + 10% off + own prices m output 2.00".
    public var basisText: String {
        var text = "card \(quote.basis.card)"
        if let d = quote.basis.discountPercent { text += ", \(d)% off" }
        if !quote.basis.prices.isEmpty {
            text += ", own prices " + quote.basis.prices.map { "\($0.model) \($0.tokenClass.rawValue) \($0.price)" }.joined(separator: ", ")
        }
        return text
    }

    public var costBasisText: String {
        let b = quote.costBasis
        var text = "cost basis: fully loaded blended cost per token, \(b.firstDay) – \(b.lastDay) (\(b.days) days), "
            + "\(Display.number(b.usedGPUHours, places: 2, grouped: true)) GPU-hours, \(tokens(b.tokens)) tokens, in \(b.reportingCurrency)"
        if let c = b.conversion { text += "; converted to \(c.to) at \(c.description)" }
        return text
    }

    public func table() -> String {
        var out: [String] = []
        let who = quote.customer.map { "customer \($0)" } ?? "prospect \(quote.prospect ?? "")"
        let id = quote.id ?? "(not stored)"
        out.append("Quote \(id) for \(who), \(quote.currency)\(status.map { ", \($0.rawValue)" } ?? "")")
        out.append("made \(quote.createdAt), valid until \(quote.expiresAt)")
        out.append("priced with \(basisText), prices in force at \(quote.pricedAt); monthly volumes, tiers applied")
        out.append(costBasisText)
        if let m = quote.marketConversion { out.append("market prices (USD) converted to \(m.to) at \(m.description)") }
        out.append("")
        out.append(lineTable(grouped: true).table())
        out.append("")
        out.append("per 1M on 'all' and total rows: blended over the token classes (amount ÷ all tokens × 1,000,000)")
        for model in quote.models where model.figures.costUnknown {
            out.append("\(model.model): cost unknown (\(quote.costBasis.unknownReason)); margin unknown")
        }
        for flag in quote.flags { out.append("!! \(flag)") }
        if quote.flags.isEmpty {
            out.append("floor \(quote.floorPercent)%: ok, every model and the total at or above it, no price below cost")
        } else {
            out.append("floor \(quote.floorPercent)%: NOT MET (\(quote.flags.count) flag(s))")
        }
        if !stored { out.append("not stored") }
        return out.joined(separator: "\n")
    }

    /// The quote's lines for a spreadsheet: the table's rows (each class, each
    /// model's `all`, the total), without thousands separators.
    public func csv() throws -> String {
        try lineTable(grouped: false).csv()
    }

    /// One row per model and class, per model (`all`) and the total. The
    /// price per 1M keeps the decimals the card states; the table (`grouped`)
    /// pads them with zeros to one number of places (the most any row shows,
    /// at least the currency's minor units) so points line up, as an
    /// invoice's text does; CSV shows each as stated.
    public func lineTable(grouped: Bool) -> TabularOutput {
        func amount(_ value: ExactDecimal?) -> String { self.amount(value, grouped: grouped) }
        func tokens(_ n: Int64) -> String { self.tokens(n, grouped: grouped) }
        let priceColumn = 4
        var rows: [[String]] = []
        var prices: [Int: StatedPerMillion] = [:]
        for model in quote.models {
            let lines = quote.lines.filter { $0.model == model.model }
            for line in lines {
                let market = line.market
                prices[rows.count] = StatedPerMillion(line.effectivePerMillion, stating: line.bands)
                rows.append([
                    line.model, line.tokenClass.rawValue, tokens(line.tokens), amount(line.price.amount), "",
                    per1M(line.costPerMillion), amount(line.cost), amount(line.figures.margin), percent(line.figures),
                    market.map { "\(per1M($0.min)) / \(per1M($0.median)) / \(per1M($0.max)) (\($0.offers))" } ?? "no market data",
                    line.marketPosition?.rawValue ?? "-",
                ])
            }
            let f = model.figures
            prices[rows.count] = blendedPerMillion(f.price, model.tokens).map { StatedPerMillion($0, stating: lines.flatMap(\.bands)) }
            rows.append([model.model, "all", tokens(model.tokens), amount(f.price), "-",
                         f.cost.map { blended($0, model.tokens) } ?? "unknown", amount(f.cost), amount(f.margin), percent(f), "", ""])
        }
        let t = quote.total
        let allTokens = quote.models.reduce(Int64(0)) { $0 + $1.tokens }
        prices[rows.count] = blendedPerMillion(t.price, allTokens).map { StatedPerMillion($0, stating: quote.lines.flatMap(\.bands)) }
        rows.append(["total", "", tokens(allTokens), amount(t.price), "-",
                     t.cost.map { blended($0, allTokens) } ?? "unknown", amount(t.cost), amount(t.margin), percent(t), "", ""])
        let common = prices.values.reduce(quote.currency.minorUnits) { max($0, $1.places) }
        for (row, price) in prices {
            rows[row][priceColumn] = grouped ? Display.group(price.text(places: common)) : price.text()
        }
        return TabularOutput(
            header: ["model", "class", "tokens", "monthly price", "per 1M", "cost per 1M", "cost", "margin", "margin %",
                     "market min / median / max per 1M (providers)", "position"],
            rows: rows, textColumns: [0, 1, 9, 10])
    }

    struct JSONForm: Encodable {
        let quote: Quote
        let status: String?
        let stored: Bool
        let failsFloor: Bool
        let acceptance: Acceptance?
    }

    /// How an accepted quote became a card (absent until accepted).
    public struct Acceptance: Encodable, Sendable {
        public let at: String
        public let customer: String
        public let card: String
        public let effectiveFrom: String
        public let file: String

        public init(at: String, customer: String, card: String, effectiveFrom: String, file: String) {
            self.at = at
            self.customer = customer
            self.card = card
            self.effectiveFrom = effectiveFrom
            self.file = file
        }

        /// The acceptance of a stored quote; nil when it is not accepted.
        public init?(_ record: QuoteStore.Record) {
            guard let at = record.acceptedAt else { return nil }
            self.init(
                at: at.description, customer: record.acceptedCustomer ?? "", card: record.acceptedCard ?? "",
                effectiveFrom: record.acceptedEffectiveFrom?.description ?? "", file: record.acceptedFile ?? "")
        }
    }

    /// The stored quote's fields, with every amount (prices, costs and band
    /// amounts of lines, models and the total) a string with exactly the
    /// currency's minor digits, like an invoice's; prices per 1M, percents and
    /// rates stay exact.
    public func json(acceptance: Acceptance? = nil) throws -> String {
        let form = JSONForm(quote: quote, status: status?.rawValue, stored: stored, failsFloor: quote.failsFloor, acceptance: acceptance)
        let raw = try JSONDecoder().decode(JSONValue.self, from: try JSONEncoder().encode(form))
        let currency = quote.currency
        func money(_ value: JSONValue) throws -> JSONValue {
            switch value {
            case .text(let text): return .text(Display.amount(try ExactDecimal(parsing: text), currency, grouped: false))
            case .object(let members):  // a Money: {amount, currency}
                guard case .text(let text)? = members["amount"] else { return value }
                return .text(Display.amount(try ExactDecimal(parsing: text), currency, grouped: false))
            default: return value
            }
        }
        func figures(_ value: JSONValue) throws -> JSONValue {
            try value.updating("price", money).updating("cost", money)
        }
        let shaped = try raw.updating("quote") { quote in
            try quote
                .updating("lines") {
                    try $0.updatingEach { line in
                        try line.updating("price", money).updating("cost", money)
                            .updating("bands") { try $0.updatingEach { try $0.updating("amount", money) } }
                    }
                }
                .updating("models") { try $0.updatingEach { try $0.updating("figures", figures) } }
                .updating("total", figures)
        }
        return try TabularOutput.encode(shaped)
    }

    /// `tally quote list`: one row per stored quote, in the store's order;
    /// `grouped` (the table) adds thousands separators to amounts.
    public static func listTable(_ records: [QuoteStore.Record], grouped: Bool) -> TabularOutput {
        let rows = records.map { r -> [String] in
            let q = r.quote
            let text = QuoteText(quote: q)
            return [q.id ?? "", q.customer ?? "", q.prospect ?? "", q.createdAt.description, q.expiresAt.description, r.status.rawValue,
                    q.currency.code, text.basisText, text.amount(q.total.price, grouped: grouped), text.amount(q.total.cost, grouped: grouped), text.percent(q.total),
                    q.flags.isEmpty ? "" : "\(q.flags.count) flag(s)", r.acceptedCard ?? ""]
        }
        return TabularOutput(
            header: ["id", "customer", "prospect", "created", "expires", "status", "currency", "basis", "monthly price", "cost", "margin %", "flags", "card"],
            rows: rows, textColumns: [0, 1, 2, 3, 4, 5, 6, 7, 11, 12])
    }

    /// `tally quote list --format json`: the list's rows as objects keyed by
    /// the table's column names.
    public static func listJSON(_ records: [QuoteStore.Record]) throws -> String {
        let output = listTable(records, grouped: false)
        return try TabularOutput.encodeEscapingSlashes(output.rows.map { Dictionary(uniqueKeysWithValues: zip(output.header, $0)) })
    }
}
