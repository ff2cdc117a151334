/// A priced quote: per model and token class the monthly price with tiers
/// applied, the effective price per 1M, the estimated fully loaded cost,
/// margin and market position; totals per model and overall; and the flags
/// (margin under the floor, price under cost, cost unknown).
///
/// Made by ``Quoter`` (pure); stored whole as JSON (decimals as strings), so
/// `quote show` prints exactly what was quoted, whatever changes later.
public struct Quote: Hashable, Sendable, Codable {
    /// `Q-2026-000001`; nil until stored.
    public var id: String?
    public let customer: String?
    public let prospect: String?
    public let createdAt: UTCTimestamp
    public let expiresAt: UTCTimestamp
    public let pricedAt: UTCTimestamp
    public let currency: Currency
    public let basis: QuoteBasis
    /// The quote as an override card: what acceptance writes.
    public let terms: QuoteTerms
    public let volumes: [QuoteVolume]
    public let floorPercent: ExactDecimal
    public let costBasis: QuoteCostBasis
    /// Market prices (USD) → quote currency, when they differ.
    public let marketConversion: QuoteConversion?
    /// Sorted by model, then class.
    public let lines: [QuoteLine]
    public let models: [Model]
    public let total: QuoteFigures
    public let flags: [QuoteFlag]

    public struct Model: Hashable, Sendable, Codable {
        public let model: String
        public let tokens: Int64
        public let figures: QuoteFigures
    }

    public init(
        customer: String?, prospect: String?, createdAt: UTCTimestamp, expiresAt: UTCTimestamp, pricedAt: UTCTimestamp,
        currency: Currency, basis: QuoteBasis, terms: QuoteTerms, volumes: [QuoteVolume], floorPercent: ExactDecimal,
        costBasis: QuoteCostBasis, marketConversion: QuoteConversion?, lines: [QuoteLine]
    ) throws(MoneyError) {
        self.customer = customer
        self.prospect = prospect
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.pricedAt = pricedAt
        self.currency = currency
        self.basis = basis
        self.terms = terms
        self.volumes = volumes
        self.floorPercent = floorPercent
        self.costBasis = costBasis
        self.marketConversion = marketConversion
        self.lines = lines.sorted { ($0.model, $0.tokenClass) < ($1.model, $1.tokenClass) }
        var models: [Model] = []
        for model in Set(lines.map(\.model)).sorted() {
            let parts = self.lines.filter { $0.model == model }
            models.append(Model(model: model, tokens: parts.reduce(0) { $0 + $1.tokens }, figures: try QuoteFigures.total(parts.map(\.figures))))
        }
        self.models = models
        self.total = try QuoteFigures.total(models.map(\.figures))

        var flags: [QuoteFlag] = []
        let unknown = costBasis.unknownReason
        // Two places, cut toward zero: a margin of 19.996% must not read "20.00%" in a flag saying it is under 20%.
        func percent(_ figures: QuoteFigures) -> String {
            figures.marginPercent.map { "\($0.rounded(places: 2, .towardZero).formatted(places: 2))%" } ?? "none"
        }
        for line in self.lines where line.figures.belowCost {
            flags.append(QuoteFlag(kind: .belowCost, scope: "\(line.model) \(line.tokenClass.rawValue)",
                message: "effective \(line.effectivePerMillion.rounded(places: 6, .halfAwayFromZero).formatted(places: 6)) per 1M is below cost \(line.costPerMillion!.rounded(places: 6, .halfAwayFromZero).formatted(places: 6)) per 1M"))
        }
        // A model or the total: unverifiable, below cost, or below the floor (the first that applies).
        func floorFlag(_ figures: QuoteFigures, scope: String, unknownCost: String) -> QuoteFlag? {
            if figures.costUnknown {
                return QuoteFlag(kind: .unverified, scope: scope, message: "\(unknownCost): the floor cannot be verified")
            } else if figures.belowCost {
                return QuoteFlag(kind: .belowCost, scope: scope, message: "price is below cost (margin \(percent(figures)))")
            } else if figures.belowFloor(floorPercent) {
                return QuoteFlag(kind: .belowFloor, scope: scope, message: "margin \(percent(figures)) is below the \(floorPercent)% floor")
            }
            return nil
        }
        flags += models.compactMap { floorFlag($0.figures, scope: $0.model, unknownCost: "cost unknown (\(unknown))") }
        if let flag = floorFlag(total, scope: "total", unknownCost: "cost of some models unknown") { flags.append(flag) }
        self.flags = flags
    }

    /// True when `--fail-below-floor` must fail: any flag at all (under the
    /// floor, under cost, or a floor that cannot be verified).
    public var failsFloor: Bool { !flags.isEmpty }

    /// Open, accepted or expired at `time` (accepted wins over expiry).
    public func status(at time: UTCTimestamp, acceptedAt: UTCTimestamp?) -> Status {
        if acceptedAt != nil { return .accepted }
        return time >= expiresAt ? .expired : .open
    }

    public enum Status: String, Hashable, Sendable, Codable, CaseIterable {
        case open, accepted, expired
    }
}
