import Testing
import TallyCore

/// Quote arithmetic worked by hand on tiered cards, floor and cost flags,
/// market position, and the strict parsing of volumes, prices and discounts.
@Suite("Quotes: arithmetic, flags, parsing")
struct QuoteTests {
    static func t(_ s: String) -> UTCTimestamp { try! UTCTimestamp(parsing: s) }
    static func d(_ s: String) -> ExactDecimal { try! ExactDecimal(parsing: s) }
    static let oct1 = t("2026-10-01T00:00:00Z")
    static let at = t("2026-11-29T00:00:00Z")

    /// "list": m input 1.00, cached 0.10, output graduated 2.00 to 1M, 1.50 to 5M, 1.00 beyond;
    /// v output volume 0.80 to 1M, 0.60 beyond. "deal": 12% off list, m output 1.70 of its own.
    static let cards = [
        RateCard(id: "list", currency: .usd, versions: [.init(effectiveFrom: oct1, prices: [
            "m": [
                .input: .flat(d("1.00")), .cachedInput: .flat(d("0.10")),
                .output: ClassPrice(mode: .graduated, bands: [
                    .init(upTo: 1_000_000, pricePerMillion: d("2.00")), .init(upTo: 5_000_000, pricePerMillion: d("1.50")),
                    .init(upTo: nil, pricePerMillion: d("1.00")),
                ]),
            ],
            "v": [.output: ClassPrice(mode: .volume, bands: [
                .init(upTo: 1_000_000, pricePerMillion: d("0.80")), .init(upTo: nil, pricePerMillion: d("0.60")),
            ])],
        ])]),
        RateCard(id: "deal", currency: .usd, base: "list", versions: [
            .init(effectiveFrom: oct1, prices: ["m": [.output: .flat(d("1.70"))]], discountPercent: 12),
        ]),
    ]

    /// m costs 0.40 / 0.04 / 1.60 per 1M (20.00 over 10M input + 10M output, weights 1 / 0.1 / 4); v has no history.
    static let costs = QuoteCostBasis(
        from: t("2026-10-30T00:00:00Z"), to: at, reportingCurrency: .usd, usedGPUHours: 10, tokens: 20_000_000,
        perModel: ["m": try! CostPerMillionTokens(cost: 20, tokens: TokenCounts(input: 10_000_000, output: 10_000_000), weights: .standard)!])

    static let m = QuoteVolume(model: "m", tokens: TokenCounts(input: 3_000_000, cachedInput: 500_000, output: 6_000_000))
    static let v = QuoteVolume(model: "v", tokens: TokenCounts(output: 2_500_000))

    func quote(_ volumes: [QuoteVolume], _ basis: QuoteBasis, floor: ExactDecimal = 20,
               market: [String: [TokenClass: [ExactDecimal]]] = [:]) throws -> Quote {
        let request = try QuoteRequest(customer: nil, prospect: "Prospect Ltd", volumes: volumes, basis: basis, floorPercent: floor,
                                       pricedAt: Self.at, createdAt: Self.t("2026-11-29T05:10:00Z"))
        return try Quoter.quote(request, cards: Self.cards, costBasis: Self.costs, market: market)
    }

    func amounts(_ q: Quote) -> [String] {
        q.lines.map { "\($0.model) \($0.tokenClass.rawValue) \($0.price.amount)" }
    }

    @Test func bandLimitsAreInclusiveAndTheFloorItselfPasses() throws {
        // Exactly 1,000,000 output tokens stay in the first graduated band; the next token is in the second.
        let at = try quote([QuoteVolume(model: "m", tokens: TokenCounts(output: 1_000_000))], try QuoteBasis(card: "list"))
        #expect(at.lines[0].bands.map(\.amount) == [2])
        let over = try quote([QuoteVolume(model: "m", tokens: TokenCounts(output: 1_000_001))], try QuoteBasis(card: "list"))
        // 1M × 2.00 + 1 × 1.50 per 1M = 2.0000015 → the band lines round once each: 2.00 and 0.00.
        #expect(over.lines[0].bands.map(\.amount) == [2, 0])
        // v's volume tier: exactly 1,000,000 is still the first band (0.80), for every token.
        let v = try quote([QuoteVolume(model: "v", tokens: TokenCounts(output: 1_000_000))], try QuoteBasis(card: "list"))
        #expect(v.lines[0].price.amount == Self.d("0.80"))
        // m input alone: 10M × 1.00 = 10.00 against 10M × 0.40 = 4.00 of cost: margin exactly 60%.
        let input = try quote([QuoteVolume(model: "m", tokens: TokenCounts(input: 10_000_000))], try QuoteBasis(card: "list"), floor: 60)
        #expect(input.total.marginPercent == 60)
        #expect(input.flags.isEmpty && !input.failsFloor, "a margin at the floor is not below it")
        let strict = try quote([QuoteVolume(model: "m", tokens: TokenCounts(input: 10_000_000))], try QuoteBasis(card: "list"), floor: Self.d("60.0001"))
        #expect(strict.flags.map(\.kind) == [.belowFloor, .belowFloor] && strict.flags[0].message.contains("margin 60.00% is below the 60.0001% floor"))
    }

    @Test func listPricesWithTiersByHand() throws {
        let q = try quote([Self.m, Self.v], try QuoteBasis(card: "list"))
        // input 3M × 1.00 = 3.00; cached 0.5M × 0.10 = 0.05; output graduated 1M × 2.00 + 4M × 1.50 + 1M × 1.00 = 9.00;
        // v: 2.5M reaches the second volume band, all at 0.60 = 1.50.
        #expect(amounts(q) == ["m input 3", "m cached_input 0.05", "m output 9", "v output 1.5"])
        #expect(q.lines[2].bands.map(\.amount) == [2, 6, 1])
        #expect(q.lines[2].effectivePerMillion == Self.d("1.5"))
        #expect(q.lines[3].effectivePerMillion == Self.d("0.6"))
        // Cost: 3M × 0.40 = 1.20; 0.5M × 0.04 = 0.02; 6M × 1.60 = 9.60 → 10.82; margin 1.23 = 10.2074…%.
        let m = q.models[0]
        #expect(m.figures.price == Self.d("12.05") && m.figures.cost == Self.d("10.82") && m.figures.margin == Self.d("1.23"))
        #expect(m.figures.marginPercent?.rounded(places: 4, .halfAwayFromZero) == Self.d("10.2075"))
        // v: no cost history: unknown, never zero; so is the total's.
        #expect(q.models[1].figures.cost == nil && q.models[1].figures.margin == nil)
        #expect(q.total.price == Self.d("13.55") && q.total.cost == nil)
        #expect(q.flags.map { "\($0.kind.rawValue) \($0.scope)" } == [
            "BELOW COST m output", "BELOW FLOOR m", "UNVERIFIED v", "UNVERIFIED total",
        ])
        #expect(q.flags[2].message.contains("no cost history between 2026-10-30 and 2026-11-28"))
        #expect(q.failsFloor)
        #expect(q.expiresAt == Self.t("2026-12-29T05:10:00Z"))
        #expect(q.terms == QuoteTerms(baseCard: "list", currency: .usd, discountPercent: nil, prices: []))
    }

    @Test func discountAndOwnPricesCombineLikeAnOverrideCard() throws {
        let basis = try QuoteBasis(card: "list", discountPercent: 10, prices: try QuotePrice.parse("m:output=2.00"))
        let q = try quote([Self.m], basis)
        // input 3M × 0.90 = 2.70; cached 0.5M × 0.09 = 0.045 → 0.05 (half away from zero); output own, flat, undiscounted: 6M × 2.00 = 12.00.
        #expect(amounts(q) == ["m input 2.7", "m cached_input 0.05", "m output 12"])
        // 14.75 − 10.82 = 3.93 = 26.64…% ≥ 20%: no flags.
        #expect(q.total.price == Self.d("14.75") && q.total.margin == Self.d("3.93"))
        #expect(q.flags.isEmpty && !q.failsFloor)
        // A 30% floor flags it.
        let strict = try quote([Self.m], basis, floor: 30)
        #expect(strict.flags.map(\.description) == ["BELOW FLOOR m: margin 26.64% is below the 30% floor", "BELOW FLOOR total: margin 26.64% is below the 30% floor"])
        #expect(q.terms.discountPercent == 10 && q.terms.prices.map(\.pricePerMillion) == [2])
    }

    @Test func graduatedDiscountAppliesToEveryBand() throws {
        let q = try quote([QuoteVolume(model: "m", tokens: TokenCounts(output: 6_000_000))], try QuoteBasis(card: "list", discountPercent: 10))
        // 1M × 1.80 + 4M × 1.35 + 1M × 0.90 = 1.80 + 5.40 + 0.90 = 8.10, below 9.60 of cost.
        #expect(q.lines[0].bands.map(\.amount) == [Self.d("1.8"), Self.d("5.4"), Self.d("0.9")])
        #expect(q.flags.map(\.kind) == [.belowCost, .belowCost, .belowCost])
    }

    @Test func anOverrideCardIsQuotedAsItIsAndCannotTakeMoreTerms() throws {
        let q = try quote([Self.m], try QuoteBasis(card: "deal"))
        // 12% off: input 3M × 0.88 = 2.64, cached 0.5M × 0.088 = 0.044 → 0.04; output own 6M × 1.70 = 10.20.
        #expect(amounts(q) == ["m input 2.64", "m cached_input 0.04", "m output 10.2"])
        #expect(q.terms == QuoteTerms(baseCard: "list", currency: .usd, discountPercent: 12,
                                      prices: [QuotePrice(model: "m", tokenClass: .output, pricePerMillion: Self.d("1.70"))]))
        #expect(throws: QuoteError.self) { try quote([Self.m], try QuoteBasis(card: "deal", discountPercent: 5)) }
        #expect(throws: QuoteError.self) { try quote([Self.m], try QuoteBasis(card: "nope")) }
        // A model the card does not price is named.
        #expect { try quote([QuoteVolume(model: "x", tokens: TokenCounts(input: 1))], try QuoteBasis(card: "list")) } throws: {
            "\($0)".contains("does not price x input")
        }
    }

    @Test func marketRangeAndPosition() throws {
        let q = try quote([Self.m], try QuoteBasis(card: "list"), market: ["m": [
            .input: [Self.d("0.5"), Self.d("2.0"), Self.d("0.9"), Self.d("1.2")], .output: [Self.d("1.0"), Self.d("3.0"), Self.d("2.0")],
        ]])
        #expect(q.lines[0].market == MarketRange(min: Self.d("0.5"), median: Self.d("1.05"), max: 2, offers: 4))
        #expect(q.lines[0].marketPosition == .minToMedian)
        #expect(q.lines[1].market == nil)
        #expect(q.lines[2].marketPosition == .minToMedian)  // 1.50 between 1.00 and 2.00
        let range = MarketRange(min: 1, median: 2, max: 3, offers: 3)
        #expect([Self.d("0.99"), 1, 2, Self.d("2.5"), 3, Self.d("3.01")].map { range.position(of: $0) }
                == [.belowMin, .minToMedian, .atMedian, .medianToMax, .medianToMax, .aboveMax])
    }

    @Test func costsInAnotherCurrencyAreConverted() throws {
        let eur = RateCard(id: "eur", currency: .eur, versions: [.init(effectiveFrom: Self.oct1, prices: ["m": [.input: .flat(1)]])])
        var fx = FXTable(reportingCurrency: .usd)
        fx.add(day: try CivilDate(parsing: "2026-11-27"), currency: .eur, rate: Self.d("1.25"))
        let conversion = try QuoteConversion(from: .usd, to: .eur, fx: fx, day: try CivilDate(parsing: "2026-11-28"))
        #expect(conversion.rate == Self.d("0.8"))
        let costs = QuoteCostBasis(from: Self.costs.from, to: Self.costs.to, reportingCurrency: .usd, usedGPUHours: 1, tokens: 1,
            perModel: ["m": try CostPerMillionTokens(cost: 20, tokens: TokenCounts(input: 10_000_000, output: 10_000_000), weights: .standard)!],
            conversion: conversion)
        let request = try QuoteRequest(customer: "c", prospect: nil, volumes: [QuoteVolume(model: "m", tokens: TokenCounts(input: 1_000_000))],
                                       basis: try QuoteBasis(card: "eur"), pricedAt: Self.at, createdAt: Self.at)
        let q = try Quoter.quote(request, cards: [eur], costBasis: costs)
        // 0.40 USD per 1M × 0.8 = 0.32 EUR; price 1.00 EUR; margin 68%.
        #expect(q.currency == .eur && q.lines[0].cost == Self.d("0.32") && q.total.marginPercent == 68)
        // Without a conversion the quote refuses rather than mixing currencies.
        #expect(throws: QuoteError.self) { try Quoter.quote(request, cards: [eur], costBasis: Self.costs) }
    }

    @Test func volumesPricesAndDiscountsParseExactlyAndStrictly() throws {
        let v = try QuoteVolume(parsing: "llama-3.3-70b-instruct:input=2e9,cached=1.5e3,output=500000000")
        #expect(v.model == "llama-3.3-70b-instruct" && v.tokens == TokenCounts(input: 2_000_000_000, cachedInput: 1_500, output: 500_000_000))
        #expect(try QuoteVolume(parsing: "m:cached_input=1e15").cachedInput == 1_000_000_000_000_000)
        // Above 10^15 a month (Int64.max included) is refused, so no sum of counts can overflow.
        for bad in ["m:cached_input=1000000000000001", "m:input=9223372036854775807", "m:input=9e18,output=9e18", "m", ":input=1", "m:input=2.5", "m:input=-1", "m:foo=1", "m:input=1e30", "m:input=1,input=2", "m:input=0", "m:input=x", "m:input="] {
            #expect(throws: QuoteError.self, "\(bad)") { try QuoteVolume(parsing: bad) }
        }
        #expect(try QuotePrice.parse("m:input=0.5,cached=0.05") == [
            QuotePrice(model: "m", tokenClass: .input, pricePerMillion: Self.d("0.5")),
            QuotePrice(model: "m", tokenClass: .cachedInput, pricePerMillion: Self.d("0.05")),
        ])
        for bad in ["m:input=-1", "m:input=0.1234567", "m:input=1e2", "m:x=1"] {
            #expect(throws: QuoteError.self, "\(bad)") { try QuotePrice.parse(bad) }
        }
        #expect(try QuoteBasis.parseDiscount("15%") == 15 && QuoteBasis.parseDiscount("12.5") == Self.d("12.5"))
        for bad in ["101%", "-1%", "1.23456%", "ten"] {
            #expect(throws: QuoteError.self, "\(bad)") { try QuoteBasis.parseDiscount(bad) }
        }
        #expect(try QuoteRequest.parseFloor("25%") == 25)
        #expect(throws: QuoteError.self) { try QuoteRequest.parseFloor("100%") }
        // Two models of the same name, or no party, are refused.
        #expect(throws: QuoteError.self) {
            try QuoteRequest(customer: nil, prospect: "p", volumes: [Self.m, Self.m], basis: try QuoteBasis(card: "list"), pricedAt: Self.at, createdAt: Self.at)
        }
        #expect(throws: QuoteError.self) {
            try QuoteRequest(customer: nil, prospect: nil, volumes: [Self.m], basis: try QuoteBasis(card: "list"), pricedAt: Self.at, createdAt: Self.at)
        }
    }
}
