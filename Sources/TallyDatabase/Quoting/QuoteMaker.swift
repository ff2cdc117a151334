import TallyCore
import TallyPostgres

/// Gathers what a quote needs from the database — cards, the customer's card,
/// the trailing window's cost per token, market prices, FX — and prices it
/// with the pure ``Quoter``.
public struct QuoteMaker {
    let db: PostgresConnection

    public init(_ db: PostgresConnection) {
        self.db = db
    }

    /// The cost window: the `days` whole UTC days before `asOf` (so
    /// 2026-11-29 → 2026-10-30 – 2026-11-28).
    public static let costWindowDays = 30

    public struct Options: Sendable {
        public var customer: String?
        public var prospect: String?
        public var volumes: [QuoteVolume]
        /// nil: the customer's card, or `public` for a prospect.
        public var card: String?
        public var discountPercent: ExactDecimal?
        public var prices: [QuotePrice]
        public var floorPercent: ExactDecimal
        public var validDays: Int
        /// nil: today (UTC), prices in force now.
        public var asOf: CivilDate?

        public init(
            customer: String? = nil, prospect: String? = nil, volumes: [QuoteVolume], card: String? = nil,
            discountPercent: ExactDecimal? = nil, prices: [QuotePrice] = [], floorPercent: ExactDecimal = QuoteRequest.defaultFloorPercent,
            validDays: Int = QuoteRequest.defaultValidDays, asOf: CivilDate? = nil
        ) {
            self.customer = customer
            self.prospect = prospect
            self.volumes = volumes
            self.card = card
            self.discountPercent = discountPercent
            self.prices = prices
            self.floorPercent = floorPercent
            self.validDays = validDays
            self.asOf = asOf
        }
    }

    /// Prices a quote (not stored: see ``QuoteStore/save(_:)``).
    ///
    /// Prices are those in force at the start of `asOf` (or the current hour);
    /// costs come from the `costWindowDays` before `asOf`.
    public func make(_ options: Options, now: UTCTimestamp = TallyClock.current.now) throws -> Quote {
        // Whole seconds: the quote's times print plainly.
        let now = UTCTimestamp(microsecondsSinceEpoch: now.microsecondsSinceEpoch - now.microsecondsSinceEpoch % 1_000_000)
        var card = options.card
        var customerCurrency: Currency?
        if let id = options.customer {
            guard let customer = try CustomerStore(db).customer(id: id) else {
                throw QuoteError(.notFound, "no customer '\(id)' (see tally customers list; for someone not yet a customer use --prospect NAME)")
            }
            card = card ?? customer.card
            customerCurrency = customer.currency
        }
        let day = options.asOf ?? now.date
        let pricedAt = options.asOf.map(\.startOfDay) ?? now.startOfHour
        let request = try QuoteRequest(
            customer: options.customer, prospect: options.prospect, volumes: options.volumes,
            basis: try QuoteBasis(card: card ?? "public", discountPercent: options.discountPercent, prices: options.prices),
            floorPercent: options.floorPercent, pricedAt: pricedAt, createdAt: now, validDays: options.validDays)
        let cards = try RateCardStore(db).cards()
        guard let basisCard = cards.first(where: { $0.id == request.basis.card }) else {
            throw QuoteError(.invalidBasis, "no rate card '\(request.basis.card)'; loaded: \(cards.map(\.id).joined(separator: ", ")) (tally rates load)")
        }
        // Said now rather than at acceptance: the customer could never be billed on this quote.
        if let customerCurrency, customerCurrency != basisCard.currency {
            throw QuoteError(.invalidBasis, "card '\(basisCard.id)' prices in \(basisCard.currency); customer '\(options.customer!)' is billed in \(customerCurrency)")
        }

        let costs = try costBasis(endingBefore: day, quoteCurrency: basisCard.currency)
        var market: [String: [TokenClass: [ExactDecimal]]] = [:]
        let store = MarketPriceStore(db)
        for volume in request.volumes {
            // One offer per provider (its lowest price of each class): the
            // table lists some providers many times (regions, variants), and the
            // range is across providers.
            var perProvider: [String: [TokenClass: ExactDecimal]] = [:]
            for price in try store.prices(model: volume.model) {
                var best = perProvider[price.provider] ?? [:]
                best[.input] = min(best[.input] ?? price.input, price.input)
                best[.output] = min(best[.output] ?? price.output, price.output)
                if let cached = price.cachedInput { best[.cachedInput] = min(best[.cachedInput] ?? cached, cached) }
                perProvider[price.provider] = best
            }
            let offers = perProvider.sorted { $0.key < $1.key }.map(\.value)
            market[volume.model] = [.input: offers.compactMap { $0[.input] }, .cachedInput: offers.compactMap { $0[.cachedInput] },
                                    .output: offers.compactMap { $0[.output] }]
        }
        var marketConversion: QuoteConversion?
        if basisCard.currency != .usd {
            let period = try CostPeriod(from: costs.from, to: costs.to)
            let fx = try SupplyStore(db).fxTable(for: period, reportingCurrency: costs.reportingCurrency)
            marketConversion = try QuoteConversion(from: .usd, to: basisCard.currency, fx: fx, day: costs.lastDay)
        }
        return try Quoter.quote(request, cards: cards, costBasis: costs, market: market, marketConversion: marketConversion)
    }

    /// Fully loaded cost per 1M tokens of every model over the window before
    /// `day`, converted into `quoteCurrency` at the window's last day's rate
    /// when it is not the reporting currency.
    public func costBasis(endingBefore day: CivilDate, quoteCurrency: Currency) throws -> QuoteCostBasis {
        let period = try CostPeriod(fromDay: day.adding(days: -Self.costWindowDays), toDay: day)
        let supply = SupplyStore(db)
        let report = try CostReport(ledger: try supply.ledger(for: period), by: .model, weights: try supply.computeWeights())
        var perModel: [String: CostPerMillionTokens] = [:]
        var gpuHours = ExactDecimal.zero
        var tokens: Int64 = 0
        for row in report.rows {
            gpuHours = try gpuHours + row.usedGPUHours
            tokens += row.tokens.total
            if let cost = row.costPerMillion { perModel[row.key] = cost }
        }
        var conversion: QuoteConversion?
        if quoteCurrency != report.reportingCurrency {
            let fx = try supply.fxTable(for: period, reportingCurrency: report.reportingCurrency)
            conversion = try QuoteConversion(from: report.reportingCurrency, to: quoteCurrency, fx: fx, day: day.adding(days: -1))
        }
        return QuoteCostBasis(
            from: period.from, to: period.to, reportingCurrency: report.reportingCurrency, usedGPUHours: gpuHours, tokens: tokens,
            perModel: perModel, conversion: conversion)
    }
}
