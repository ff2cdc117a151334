import TallyCore

/// The prices of a card in force at an instant, one row per model
/// (`tally rates show CARD --at T`): an override card shows the resulting
/// prices, and which card versions they come from.
public struct RateCardPrices: Sendable {
    public let card: RateCard
    public let at: UTCTimestamp
    /// model, input, cached input, output (`-` where the card has no price).
    public let rows: [[String]]
    /// The card versions the prices come from, sorted.
    public let sources: [String]

    public static let header = ["model", "input per 1M", "cached input per 1M", "output per 1M"]
    public static let jsonKeys = ["model", "input", "cached_input", "output"]

    /// `grouped` (the table) groups tier limits with thousands separators.
    public init(book: PriceBook, card: RateCard, at time: UTCTimestamp, grouped: Bool) throws {
        self.card = card
        self.at = time
        var models = Set(card.version(at: time)?.prices.keys.map { $0 } ?? [])
        if let base = card.base.flatMap({ book.cards[$0] }) {
            models.formUnion(base.version(at: time)?.prices.keys.map { $0 } ?? [])
        }
        var rows: [[String]] = []
        var sources = Set<String>()
        for model in models.sorted() {
            var row = [model]
            for tokenClass in TokenClass.allCases {
                guard let resolved = try book.price(card: card.id, model: model, tokenClass: tokenClass, at: time) else {
                    row.append("-")
                    continue
                }
                sources.insert(resolved.source.description)
                row.append(Self.describe(resolved.price, grouped: grouped))
            }
            rows.append(row)
        }
        self.rows = rows
        self.sources = sources.sorted()
    }

    /// The table's title line.
    public var title: String {
        "Card \(card.id) (\(card.currency)) at \(at): \(sources.joined(separator: "; "))"
    }

    public func tabular() -> TabularOutput {
        TabularOutput(header: Self.header, rows: rows)
    }

    /// `tally rates show --format json`: one object per model (build with `grouped: false`).
    public func jsonValue() -> JSONValue {
        .list(rows.map { .object(Dictionary(uniqueKeysWithValues: zip(Self.jsonKeys, $0.map(JSONValue.text)))) })
    }

    /// The document `tally rates show --format json` prints.
    public func json() throws -> String {
        try TabularOutput.encodeEscapingSlashes(rows.map { Dictionary(uniqueKeysWithValues: zip(Self.jsonKeys, $0)) })
    }

    /// `0.60`, or `graduated: 0.80 to 10,000,000,000 | 0.72 to 100,000,000,000 | 0.64 beyond`
    /// (tier limits grouped for people; plain in CSV and JSON).
    public static func describe(_ price: ClassPrice, grouped: Bool) -> String {
        guard let mode = price.mode else { return price.bands[0].price.description }
        func limit(_ n: some BinaryInteger) -> String { grouped ? Display.group(String(n)) : String(n) }
        let bands = price.bands.map { band in band.upTo.map { "\(band.price) to \(limit($0))" } ?? "\(band.price) beyond" }
        return "\(mode.rawValue): " + bands.joined(separator: " | ")
    }
}
