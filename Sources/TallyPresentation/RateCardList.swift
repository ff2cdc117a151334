import TallyCore

/// The loaded rate cards, one row each (the server's card list; the CLI shows
/// one card at a time with `tally rates show`).
public enum RateCardList {
    public static let header = ["id", "currency", "base", "versions", "first version", "latest version", "description"]
    public static let jsonKeys = ["id", "currency", "base", "versions", "first_effective_from", "latest_effective_from", "description"]
    public static let integerColumns: Set<Int> = [3]

    /// Sorted by id; no base is an empty cell.
    public static func table(_ cards: [RateCard]) -> TabularOutput {
        let rows = cards.sorted { $0.id < $1.id }.map { card -> [String] in
            let starts = card.versions.map(\.effectiveFrom).sorted()
            return [card.id, card.currency.code, card.base ?? "", String(card.versions.count), starts.first?.description ?? "",
                    starts.last?.description ?? "", card.description]
        }
        return TabularOutput(header: header, rows: rows, textColumns: [0, 1, 2, 4, 5, 6])
    }

    public static func jsonValue(_ cards: [RateCard]) -> JSONValue {
        table(cards).jsonValue(keys: jsonKeys, integerColumns: integerColumns)
    }
}
