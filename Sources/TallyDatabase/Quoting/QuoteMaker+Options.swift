import TallyCore

extension QuoteMaker.Options {
    /// A quote's options as people write them, read by the core's parsers:
    /// `tally quote create`'s options and the API's `POST /v1/quotes` body
    /// (volumes `MODEL:input=2e9,cached=N,output=N`, prices
    /// `MODEL:output=1.10`, discount `15%`, floor `25%`, as-of `YYYY-MM-DD`).
    /// One reading for both, so the same text prices the same quote.
    public init(
        customer: String?, prospect: String?, volumeTexts: [String], extraVolumes: [QuoteVolume] = [], card: String?,
        discount: String?, priceTexts: [String], floor: String?, validDays: Int, asOf: String?
    ) throws {
        self.init(
            customer: customer, prospect: prospect, volumes: try volumeTexts.map { try QuoteVolume(parsing: $0) } + extraVolumes, card: card,
            discountPercent: try discount.map { try QuoteBasis.parseDiscount($0) },
            prices: try priceTexts.flatMap { try QuotePrice.parse($0) },
            floorPercent: try floor.map { try QuoteRequest.parseFloor($0) } ?? QuoteRequest.defaultFloorPercent,
            validDays: validDays, asOf: try asOf.map { try CivilDate(parsing: $0) })
    }
}
