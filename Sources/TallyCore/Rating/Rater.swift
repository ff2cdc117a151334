/// Prices a customer's month of usage with its card (SPEC §4).
///
/// - Each hour's tokens are priced by the card version in force in that hour;
///   a month spanning two versions gets lines for each.
/// - Tiers count the month's cumulative volume per model and token class.
///   `graduated`: hour by hour, in time order, tokens fill the next free part
///   of the bands, each part at its band's price in that hour's version.
///   `volume`: the band is the one the whole month's volume reaches; each
///   version's tokens are priced at that version's price for that band.
///   `up_to` is inclusive.
/// - Override prices are flat and not discounted; a discount applies to every
///   other price, bands included, exactly (see ``PriceBook``).
/// - A used model and class the card does not price is an error listing every
///   gap, before anything is priced.
public struct Rater: Sendable {
    public let book: PriceBook

    public init(book: PriceBook) {
        self.book = book
    }

    /// `priorVolume`: tokens per (model, class) already billed in this month
    /// (late usage continues its month's tiers after what was billed).
    public func rate(
        usage: [UsageHour], card: String, currency: Currency, priorVolume: [String: TokenCounts] = [:]
    ) throws -> [RatedLine] {
        let hours = usage.sorted { ($0.model, $0.hour) < ($1.model, $1.hour) }

        // Resolve every (model, class, hour) price first; report all gaps at once.
        var gaps: [PricingGap] = []
        var gapKeys = Set<String>()
        var resolved: [[PriceBook.Resolved?]] = []
        for u in hours {
            var row: [PriceBook.Resolved?] = []
            for tokenClass in TokenClass.allCases {
                guard u.tokens[tokenClass] > 0 else {
                    row.append(nil)
                    continue
                }
                let price = try book.price(card: card, model: u.model, tokenClass: tokenClass, at: u.hour)
                if price == nil, gapKeys.insert("\(u.model)|\(tokenClass)").inserted {
                    gaps.append(PricingGap(model: u.model, tokenClass: tokenClass, card: card, firstUse: u.hour))
                }
                row.append(price)
            }
            resolved.append(row)
        }
        guard gaps.isEmpty else {
            throw RatingError(.unpriced, gaps.map(\.description).joined(separator: "; "), gaps: gaps)
        }

        // Month totals per (model, class), for volume tiers.
        var totals: [String: TokenCounts] = priorVolume
        for u in hours { totals[u.model] = (totals[u.model] ?? .zero) + u.tokens }

        struct LineKey: Hashable {
            let model: String
            let tokenClass: TokenClass
            let source: PriceSource
            let band: Int
            let price: StatedPrice
        }
        var quantities: [LineKey: (quantity: Int64, schedule: ClassPrice)] = [:]
        // Hours come grouped by model, in time order: the model's running
        // volume per class is a local, reset when the model changes.
        var model: String?
        var cumulative = TokenCounts.zero
        var monthTotal = TokenCounts.zero
        for (i, u) in hours.enumerated() {
            if u.model != model {
                model = u.model
                cumulative = priorVolume[u.model] ?? .zero
                monthTotal = totals[u.model] ?? .zero
            }
            for (c, tokenClass) in TokenClass.allCases.enumerated() {
                let n = u.tokens[tokenClass]
                guard n > 0, let price = resolved[i][c] else { continue }
                let before = cumulative[tokenClass]
                cumulative[tokenClass] = before + n
                switch price.price.mode {
                case nil:
                    let key = LineKey(model: u.model, tokenClass: tokenClass, source: price.source, band: 0, price: price.price.bands[0].price)
                    quantities[key, default: (0, price.price)].quantity += n
                case .volume:
                    let reached = monthTotal[tokenClass]
                    let b = price.price.bandIndex(ofToken: reached)
                    if let limit = price.price.bands[b].upTo, reached > limit {
                        throw RatingError(.unpriced, "card \(price.source) prices \(u.model) \(tokenClass.rawValue) tokens only up to \(limit); the month reached \(reached)")
                    }
                    let key = LineKey(model: u.model, tokenClass: tokenClass, source: price.source, band: b, price: price.price.bands[b].price)
                    quantities[key, default: (0, price.price)].quantity += n
                case .graduated:
                    // Tokens before+1 … before+n spread over the bands.
                    var next = before + 1
                    let last = before + n
                    while next <= last {
                        let b = price.price.bandIndex(ofToken: next)
                        let bandEnd = min(last, price.price.bands[b].upTo ?? last)
                        guard bandEnd >= next else {
                            throw RatingError(.unpriced, "card \(price.source) prices \(u.model) \(tokenClass.rawValue) tokens only up to \(price.price.bands[b].upTo ?? 0); token \(next) has no band")
                        }
                        let key = LineKey(model: u.model, tokenClass: tokenClass, source: price.source, band: b, price: price.price.bands[b].price)
                        quantities[key, default: (0, price.price)].quantity += bandEnd - next + 1
                        next = bandEnd + 1
                    }
                }
            }
        }

        var lines: [RatedLine] = []
        for (key, total) in quantities {
            lines.append(RatedLine(
                model: key.model, tokenClass: key.tokenClass, source: key.source, band: key.band,
                bandLabel: Self.label(total.schedule, key.band), quantity: total.quantity, unitPrice: key.price,
                amount: try RatedLine.amount(quantity: total.quantity, unitPricePerMillion: key.price.value, currency: currency)))
        }
        return lines.sorted()
    }

    /// "tokens 1–1,000,000" style label for a band of a tiered price.
    static func label(_ price: ClassPrice, _ band: Int) -> String? {
        guard let mode = price.mode else { return nil }
        let lower = band == 0 ? 1 : (price.bands[band - 1].upTo ?? 0) + 1
        let range = price.bands[band].upTo.map { "\(lower)-\($0)" } ?? "\(lower)+"
        return "\(mode.rawValue) band \(band + 1): tokens \(range)"
    }
}

extension TokenCounts {
    public subscript(tokenClass: TokenClass) -> Int64 {
        get {
            switch tokenClass {
            case .input: input
            case .cachedInput: cachedInput
            case .output: output
            }
        }
        set {
            switch tokenClass {
            case .input: input = newValue
            case .cachedInput: cachedInput = newValue
            case .output: output = newValue
            }
        }
    }
}
