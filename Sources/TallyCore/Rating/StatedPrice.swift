/// A price per 1M tokens as its rate card states it: the exact value and the
/// number of decimals it was written with.
///
/// ``ExactDecimal`` holds values, not their writing, so `0.550000` and `0.55`
/// are the same decimal. A finance reader comparing an invoice with the card
/// should see the card's own text, so the stated decimals travel with the price
/// from the card file through storage, rating and every document
/// (docs/rate-cards.md, "Decimals as stated").
///
/// `places` is never below what the value needs: a price derived by a discount
/// (`0.38 × 0.9`) keeps the decimals its base states and shows as many more as
/// its exact value has (`0.342`; `0.550000 × 0.9` → `0.495000`). Two prices
/// are equal when they have the same value **and** show the same text.
public struct StatedPrice: Hashable, Sendable, CustomStringConvertible, Codable {
    public let value: ExactDecimal
    /// Decimals shown: at least those stated (18 at most, the scale of
    /// ``ExactDecimal``), at least those the value needs.
    public let places: Int

    /// `places` nil: as many as the value needs (a price nobody wrote, e.g. in tests).
    public init(_ value: ExactDecimal, places: Int? = nil) {
        self.value = value
        self.places = max(min(places ?? 0, ExactDecimal.scale), value.decimalPlaces)
    }

    /// Reads plain decimal text (`0.550000`, `2`, `1.500`) and keeps its decimals.
    public init(parsing text: some StringProtocol) throws(MoneyError) {
        let value = try ExactDecimal(parsing: text)
        let stated = text.firstIndex(of: ".").map { text.distance(from: $0, to: text.endIndex) - 1 } ?? 0
        self.init(value, places: stated)
    }

    /// The value with exactly `places` decimals: `0.550000`, `0.38`, `2`.
    public var description: String {
        value.formatted(places: places)
    }

    /// The price times `factor` (a discount), exact; the stated decimals stay.
    public func multiplied(by factor: ExactDecimal) throws(MoneyError) -> StatedPrice {
        StatedPrice(try value * factor, places: places)
    }

    /// Encoded as its text (a JSON string), so decoding gets the decimals back;
    /// text stored before prices kept their decimals reads as it was written.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self = try StatedPrice(parsing: try container.decode(String.self))
    }
}
