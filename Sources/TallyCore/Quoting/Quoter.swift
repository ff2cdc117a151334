/// Prices a ``QuoteRequest`` (pure: cards, cost basis and market prices are
/// given).
///
/// Each model's monthly volume is priced as one month of usage in a single
/// hour at `pricedAt` by the same ``Rater`` that prices invoices, so tiers,
/// discounts, own prices and rounding (once per band line, half away from
/// zero) are exactly an invoice's for that volume under one card version.
public enum Quoter {
    /// - market: providers' prices per 1M tokens (USD) per model and class.
    public static func quote(
        _ request: QuoteRequest, cards: [RateCard], costBasis: QuoteCostBasis,
        market: [String: [TokenClass: [ExactDecimal]]] = [:], marketConversion: QuoteConversion? = nil
    ) throws -> Quote {
        var book = PriceBook(cards: cards)
        let terms = try request.basis.terms(cards: book.cards, at: request.pricedAt)
        let currency = book.cards[request.basis.card]!.currency
        if let conversion = costBasis.conversion, conversion.from != costBasis.reportingCurrency || conversion.to != currency {
            throw QuoteError(.invalidBasis, "cost conversion \(conversion) does not turn \(costBasis.reportingCurrency) into \(currency)")
        }
        guard costBasis.conversion != nil || costBasis.reportingCurrency == currency else {
            throw QuoteError(.invalidBasis, "costs are in \(costBasis.reportingCurrency), the card in \(currency): a conversion is needed")
        }
        var card = request.basis.card
        if !request.basis.isPlainCard {
            card = "quote terms over \(request.basis.card)"
            book = PriceBook(cards: cards + [terms.card(id: card, from: request.pricedAt)])
        }
        let usage = request.volumes.map { UsageHour(hour: request.pricedAt, model: $0.model, tokens: $0.tokens) }
        let rated = try Rater(book: book).rate(usage: usage, card: card, currency: currency)

        var lines: [QuoteLine] = []
        for volume in request.volumes {
            for tokenClass in TokenClass.allCases where volume.tokens[tokenClass] > 0 {
                let parts = rated.filter { $0.model == volume.model && $0.tokenClass == tokenClass }
                let bands = parts.map {
                    QuoteLine.Band(label: $0.bandLabel, quantity: $0.quantity, unitPrice: $0.unitPrice,
                                   amount: $0.amount.amount, source: $0.source.description)
                }
                let price = try parts.map(\.amount).sum(in: currency)
                var cost = costBasis.perModel[volume.model]?[tokenClass]
                if let c = cost, let conversion = costBasis.conversion { cost = try conversion.convert(c) }
                var range = try MarketRange(prices: market[volume.model]?[tokenClass] ?? [])
                if let r = range, let marketConversion { range = try r.converted(marketConversion) }
                lines.append(try QuoteLine(
                    model: volume.model, tokenClass: tokenClass, tokens: volume.tokens[tokenClass], bands: bands, price: price,
                    costPerMillion: cost, market: range))
            }
        }
        let expires = request.createdAt.adding(microseconds: Int64(request.validDays) * UTCTimestamp.microsecondsPerDay)
        return try Quote(
            customer: request.customer, prospect: request.prospect, createdAt: request.createdAt, expiresAt: expires,
            pricedAt: request.pricedAt, currency: currency, basis: request.basis, terms: terms, volumes: request.volumes,
            floorPercent: request.floorPercent, costBasis: costBasis, marketConversion: marketConversion, lines: lines)
    }
}
