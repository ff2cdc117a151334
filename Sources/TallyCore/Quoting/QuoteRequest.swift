/// What sales asks a quote for: who, how many tokens a month per model and
/// class, the price basis, the margin floor, and when.
public struct QuoteRequest: Hashable, Sendable {
    /// Exactly one of customer and prospect.
    public let customer: String?
    public let prospect: String?
    /// One per model, sorted by model.
    public let volumes: [QuoteVolume]
    public let basis: QuoteBasis
    /// Margin % below which the quote is flagged (policy default 20).
    public let floorPercent: ExactDecimal
    /// Card prices in force at this instant are quoted (a whole UTC hour).
    public let pricedAt: UTCTimestamp
    public let createdAt: UTCTimestamp
    public let validDays: Int

    public static let defaultFloorPercent: ExactDecimal = 20
    public static let defaultValidDays = 30

    public init(
        customer: String?, prospect: String?, volumes: [QuoteVolume], basis: QuoteBasis,
        floorPercent: ExactDecimal = defaultFloorPercent, pricedAt: UTCTimestamp, createdAt: UTCTimestamp,
        validDays: Int = defaultValidDays
    ) throws(QuoteError) {
        guard (customer == nil) != (prospect == nil) else {
            throw QuoteError(.invalidInput, "a quote is for a customer (--customer) or a prospect (--prospect), one of them")
        }
        if let prospect, prospect.trimmingSpaces.isEmpty { throw QuoteError(.invalidInput, "the prospect's name is empty") }
        guard !volumes.isEmpty else { throw QuoteError(.invalidInput, "no volumes: give --volume MODEL:input=N,output=N or --volumes FILE") }
        var seen = Set<String>()
        for v in volumes where !seen.insert(v.model).inserted {
            throw QuoteError(.invalidInput, "volume for model \(v.model) given twice")
        }
        guard floorPercent < 100 else { throw QuoteError(.invalidInput, "floor \(floorPercent)%: must be below 100%") }
        guard (1...3650).contains(validDays) else { throw QuoteError(.invalidInput, "valid days \(validDays): must be 1 to 3650") }
        guard pricedAt.startOfHour == pricedAt else { throw QuoteError(.invalidInput, "priced at \(pricedAt): must be a whole UTC hour") }
        self.customer = customer
        self.prospect = prospect
        self.volumes = volumes.sorted { $0.model < $1.model }
        self.basis = basis
        self.floorPercent = floorPercent
        self.pricedAt = pricedAt
        self.createdAt = createdAt
        self.validDays = validDays
    }

    /// `20%` or `20`.
    public static func parseFloor(_ text: String) throws(QuoteError) -> ExactDecimal {
        let number = text.hasSuffix("%") ? String(text.dropLast()) : text
        guard let floor = try? ExactDecimal(parsing: number), !floor.isNegative, floor < 100, floor.decimalPlaces <= 4 else {
            throw QuoteError(.invalidInput, "floor '\(text)': must be a percentage from 0 to below 100 with at most 4 decimals, e.g. 20%")
        }
        return floor
    }
}

extension String {
    var trimmingSpaces: Substring {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s.removeFirst() }
        while s.last?.isWhitespace == true { s.removeLast() }
        return s
    }
}
