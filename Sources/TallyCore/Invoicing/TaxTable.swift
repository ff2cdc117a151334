/// Every country's tax rates over time; answers "which rate on this date".
public struct TaxTable: Sendable {
    private let byCountry: [String: [TaxRate]]

    public init(_ rates: [TaxRate]) {
        byCountry = Dictionary(grouping: rates, by: \.country).mapValues { $0.sorted { $0.effectiveFrom < $1.effectiveFrom } }
    }

    public var rates: [TaxRate] { byCountry.keys.sorted().flatMap { byCountry[$0]! } }

    /// The rate in force in `country` on `date`, or nil if none is known.
    public func rate(country: String, on date: CivilDate) -> TaxRate? {
        byCountry[country]?.last { $0.effectiveFrom <= date }
    }
}
