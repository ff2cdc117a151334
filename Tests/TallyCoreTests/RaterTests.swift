import Testing
import TallyCore

@Suite("Rating: tiers, versions, overrides, discounts")
struct RaterTests {
    static func t(_ s: String) -> UTCTimestamp { try! UTCTimestamp(parsing: s) }
    static func d(_ s: String) -> ExactDecimal { try! ExactDecimal(parsing: s) }
    static let nov1 = t("2026-11-01T00:00:00Z")
    static let nov15 = t("2026-11-15T00:00:00Z")

    /// Output of model "m": 1.00 per 1M up to 1,000,000 tokens, then 0.50.
    static func tiered(_ mode: ClassPrice.Mode, first: String = "1.00", then: String = "0.50") -> ClassPrice {
        ClassPrice(mode: mode, bands: [.init(upTo: 1_000_000, pricePerMillion: d(first)), .init(upTo: nil, pricePerMillion: d(then))])
    }

    static func card(id: String = "public", currency: Currency = .usd, versions: [RateCard.Version]) -> RateCard {
        RateCard(id: id, currency: currency, versions: versions)
    }

    static func usage(_ output: Int64, at hour: UTCTimestamp = nov1, model: String = "m", input: Int64 = 0, cached: Int64 = 0) -> UsageHour {
        UsageHour(hour: hour, model: model, tokens: TokenCounts(input: input, cachedInput: cached, output: output))
    }

    func rate(_ cards: [RateCard], _ usage: [UsageHour], card: String = "public", currency: Currency = .usd,
              prior: [String: TokenCounts] = [:]) throws -> [RatedLine] {
        try Rater(book: PriceBook(cards: cards)).rate(usage: usage, card: card, currency: currency, priorVolume: prior)
    }

    @Test func graduatedExactlyAtTheBoundaryStaysInTheFirstBand() throws {
        let card = Self.card(versions: [.init(effectiveFrom: Self.nov1, prices: ["m": [.output: Self.tiered(.graduated)]])])
        let at = try rate([card], [Self.usage(1_000_000)])
        #expect(at.map(\.quantity) == [1_000_000])
        #expect(at[0].amount == Money(1, .usd))
        // One token over: the 1,000,001st is in the second band.
        let over = try rate([card], [Self.usage(1_000_001)])
        #expect(over.map(\.quantity) == [1_000_000, 1])
        #expect(over.map(\.band) == [0, 1])
        #expect(over[1].amount == Money(0, .usd), "0.0000005 rounds to 0.00")
        #expect(over[1].bandLabel == "graduated band 2: tokens 1000001+")
    }

    @Test func volumePricesEveryTokenAtTheBandReached() throws {
        let card = Self.card(versions: [.init(effectiveFrom: Self.nov1, prices: ["m": [.output: Self.tiered(.volume)]])])
        // 1,000,000 exactly: band 1 (inclusive); all at 1.00.
        #expect(try rate([card], [Self.usage(1_000_000)]).map(\.amount) == [Money(1, .usd)])
        // 3,000,000 over three hours: the month reaches band 2, so every token is at 0.50 → 1.50.
        let lines = try rate([card], (0..<3).map { Self.usage(1_000_000, at: Self.nov1.adding(microseconds: Int64($0) * 3_600_000_000)) })
        #expect(lines.count == 1)
        #expect(lines[0].band == 1 && lines[0].quantity == 3_000_000)
        #expect(lines[0].amount == Money(Self.d("1.5"), .usd))
    }

    @Test func graduatedFillsBandsInTimeOrderAcrossAVersionChange() throws {
        // v1 (from Nov 1): 1.00 then 0.50; v2 (from Nov 15): 2.00 then 1.00.
        let card = Self.card(versions: [
            .init(effectiveFrom: Self.nov1, prices: ["m": [.output: Self.tiered(.graduated)]]),
            .init(effectiveFrom: Self.nov15, prices: ["m": [.output: Self.tiered(.graduated, first: "2.00", then: "1.00")]]),
        ])
        // 600,000 before Nov 15 (band 1 of v1), 600,000 after: 400,000 fill band 1 at v2's 2.00, 200,000 at v2's 1.00.
        let lines = try rate([card], [Self.usage(600_000), Self.usage(600_000, at: Self.t("2026-11-20T10:00:00Z"))])
        #expect(lines.map(\.quantity) == [600_000, 400_000, 200_000])
        #expect(lines.map(\.unitPricePerMillion) == [1, 2, 1])
        #expect(lines.map(\.source.version) == [Self.nov1, Self.nov15, Self.nov15])
        #expect(lines.map(\.amount) == [Money(Self.d("0.6"), .usd), Money(Self.d("0.8"), .usd), Money(Self.d("0.2"), .usd)])
    }

    @Test func volumeAcrossAVersionChangeUsesEachVersionsPriceForTheMonthsBand() throws {
        let card = Self.card(versions: [
            .init(effectiveFrom: Self.nov1, prices: ["m": [.output: Self.tiered(.volume)]]),
            .init(effectiveFrom: Self.nov15, prices: ["m": [.output: Self.tiered(.volume, first: "2.00", then: "1.00")]]),
        ])
        // Month total 1,200,000 reaches band 2: v1 tokens at 0.50, v2 tokens at 1.00.
        let lines = try rate([card], [Self.usage(600_000), Self.usage(600_000, at: Self.nov15)])
        #expect(lines.map(\.unitPricePerMillion) == [Self.d("0.5"), 1])
        #expect(lines.map(\.band) == [1, 1])
    }

    @Test func aFlatPriceChangeMidMonthGivesALinePerVersion() throws {
        let card = Self.card(versions: [
            .init(effectiveFrom: Self.nov1, prices: ["m": [.output: .flat(1)]]),
            .init(effectiveFrom: Self.nov15, prices: ["m": [.output: .flat(Self.d("0.9"))]]),
        ])
        let lines = try rate([card], [Self.usage(2_000_000), Self.usage(1_000_000, at: Self.t("2026-11-14T23:00:00Z")),
                                      Self.usage(3_000_000, at: Self.nov15)])
        #expect(lines.map(\.quantity) == [3_000_000, 3_000_000])
        #expect(lines.map(\.amount) == [Money(3, .usd), Money(Self.d("2.7"), .usd)])
    }

    @Test func eachTokenClassCountsItsOwnVolumeAndCachedTokensHaveTheirOwnPrice() throws {
        let card = Self.card(versions: [.init(effectiveFrom: Self.nov1, prices: ["m": [
            .input: Self.tiered(.graduated, first: "0.20", then: "0.10"), .cachedInput: .flat(Self.d("0.02")), .output: Self.tiered(.graduated),
        ]])])
        // 900k input + 900k output: neither class crosses its own band, though together they would.
        let lines = try rate([card], [Self.usage(900_000, input: 900_000, cached: 5_000_000)])
        #expect(lines.map(\.tokenClass) == [.input, .cachedInput, .output])
        #expect(lines.allSatisfy { $0.band == 0 })
        #expect(lines.map(\.amount) == [Money(Self.d("0.18"), .usd), Money(Self.d("0.1"), .usd), Money(Self.d("0.9"), .usd)])
    }

    @Test func anOverrideIsFlatAndUndiscountedWhileTheDiscountReachesEveryOtherPrice() throws {
        let base = Self.card(versions: [.init(effectiveFrom: Self.nov1, prices: [
            "m": [.input: .flat(Self.d("0.40")), .output: Self.tiered(.graduated)],
            "big": [.output: .flat(3)],
        ])])
        let custom = RateCard(id: "acme", currency: .usd, base: "public", versions: [
            .init(effectiveFrom: Self.nov1, prices: ["big": [.output: .flat(Self.d("2.50"))]], discountPercent: 15),
        ])
        let lines = try rate([base, custom], [Self.usage(1_500_000, input: 1_000_000), Self.usage(1_000_000, model: "big")], card: "acme")
        // big: override 2.50, not discounted. m input: 0.40 × 0.85 = 0.34. m output bands: 0.85 and 0.425 (exact).
        #expect(lines.first { $0.model == "big" }?.unitPricePerMillion == Self.d("2.5"))
        #expect(lines.first { $0.model == "big" }?.source == PriceSource(card: "acme", version: Self.nov1, baseCard: "public", baseVersion: Self.nov1))
        let m = lines.filter { $0.model == "m" }
        #expect(m.map(\.unitPricePerMillion) == [Self.d("0.34"), Self.d("0.85"), Self.d("0.425")])
        #expect(m[0].source == PriceSource(card: "acme", version: Self.nov1, baseCard: "public", baseVersion: Self.nov1))
        // 500,000 × 0.425 / 1M = 0.2125 → 0.21 (rounded once, half away from zero).
        #expect(m[2].amount == Money(Self.d("0.21"), .usd))
    }

    /// An override price belongs to the override's version in force and is
    /// cited with the base card's version in force: lines split at a version
    /// change of either, each rounded on its own (SPEC §4).
    @Test func anOverridePriceSplitsAtABaseCardVersionChange() throws {
        let base = Self.card(versions: [
            .init(effectiveFrom: Self.nov1, prices: ["m": [.output: .flat(2)]]),
            .init(effectiveFrom: Self.nov15, prices: ["m": [.output: .flat(3)]]),
        ])
        let custom = RateCard(id: "acme", currency: .usd, base: "public", versions: [
            .init(effectiveFrom: Self.nov1, prices: ["m": [.output: .flat(1)]]),
        ])
        // 3,000 tokens on each side of Nov 15 at the override's 1.00: 0.003 each → two lines of 0.00, not one of 0.01.
        let lines = try rate([base, custom], [Self.usage(3_000), Self.usage(3_000, at: Self.nov15)], card: "acme")
        #expect(lines.map(\.quantity) == [3_000, 3_000])
        #expect(lines.map(\.unitPricePerMillion) == [1, 1])
        #expect(lines.map(\.amount) == [Money(0, .usd), Money(0, .usd)])
        #expect(lines.map(\.source) == [PriceSource(card: "acme", version: Self.nov1, baseCard: "public", baseVersion: Self.nov1),
                                        PriceSource(card: "acme", version: Self.nov1, baseCard: "public", baseVersion: Self.nov15)])
    }

    @Test func everyGapIsReportedBeforeAnythingIsPriced() throws {
        let card = Self.card(versions: [.init(effectiveFrom: Self.nov15, prices: ["m": [.output: .flat(1)]])])
        do {
            _ = try rate([card], [Self.usage(10, at: Self.nov1), Self.usage(10, model: "other", cached: 5), Self.usage(5, at: Self.nov15)])
            Issue.record("expected gaps")
        } catch let error as RatingError {
            #expect(error.code == .unpriced)
            #expect(Set(error.gaps.map { "\($0.model)/\($0.tokenClass.rawValue)" }) == ["m/output", "other/cached_input", "other/output"])
            #expect(error.description.contains("card 'public' does not price m output tokens (first used 2026-11-01T00:00:00Z)"))
        }
    }

    @Test func roundsOnceToEachCurrencysMinorUnit() throws {
        let usd = Self.card(versions: [.init(effectiveFrom: Self.nov1, prices: ["m": [.output: .flat(Self.d("0.125"))]])])
        // 1,234,567,891 × 0.125 / 1M = 154.320986375 → 154.32
        #expect(try rate([usd], [Self.usage(1_234_567_891)])[0].amount == Money(Self.d("154.32"), .usd))
        let jpy = Self.card(id: "jp", currency: .jpy, versions: [.init(effectiveFrom: Self.nov1, prices: ["m": [.output: .flat(Self.d("18.5"))]])])
        // 1,000,000 × 18.5 = 18.5 → 19 JPY (half away from zero, no decimals)
        #expect(try rate([jpy], [Self.usage(1_000_000)], card: "jp", currency: .jpy)[0].amount == Money(19, .jpy))
        // A value just under the half must not be rounded up by an intermediate step:
        // 3 × 0.001666666666666666 = 0.004999999999999998 per 1M… → 0.00.
        let tricky = Self.card(versions: [.init(effectiveFrom: Self.nov1, prices: ["m": [.output: .flat(Self.d("1666.666666666666666"))]])])
        #expect(try rate([tricky], [Self.usage(3)])[0].amount == Money(0, .usd))
    }

    @Test func lateUsageContinuesTheMonthsTiersAfterWhatWasBilled() throws {
        let card = Self.card(versions: [.init(effectiveFrom: Self.nov1, prices: ["m": [.output: Self.tiered(.graduated)]])])
        let late = try rate([card], [Self.usage(500_000)], prior: ["m": TokenCounts(output: 800_000)])
        #expect(late.map(\.quantity) == [200_000, 300_000])
        #expect(late.map(\.band) == [0, 1])
    }

    @Test func aScheduleThatEndsWithALimitIsAnErrorNotALoop() throws {
        // Card files refuse this shape; a schedule built elsewhere must still not hang.
        let capped = ClassPrice(mode: .graduated, bands: [.init(upTo: 1_000, pricePerMillion: 1)])
        let card = Self.card(versions: [.init(effectiveFrom: Self.nov1, prices: ["m": [.output: capped]])])
        #expect(throws: RatingError.self) { try rate([card], [Self.usage(2_000)]) }
        let volume = ClassPrice(mode: .volume, bands: [.init(upTo: 1_000, pricePerMillion: 1)])
        let card2 = Self.card(versions: [.init(effectiveFrom: Self.nov1, prices: ["m": [.output: volume]])])
        #expect(throws: RatingError.self) { try rate([card2], [Self.usage(2_000)]) }
    }

    @Test func shiftingRoundsExactlyOnce() throws {
        #expect(try ExactDecimal(units: 1).shifted(downBy: 30, roundedTo: 2, .awayFromZero) == Self.d("0.01"))
        #expect(try ExactDecimal(units: -1).shifted(downBy: 30, roundedTo: 2, .awayFromZero) == Self.d("-0.01"))
        #expect(try ExactDecimal(units: 1).shifted(downBy: 30, roundedTo: 2, .halfAwayFromZero) == .zero)
        #expect(try Self.d("4999.999999999999999999").shifted(downBy: 6, roundedTo: 2, .halfAwayFromZero) == Self.d("0"))
        #expect(try Self.d("5000").shifted(downBy: 6, roundedTo: 2, .halfAwayFromZero) == Self.d("0.01"))
        #expect(try Self.d("-5000").shifted(downBy: 6, roundedTo: 2, .halfAwayFromZero) == Self.d("-0.01"))
        #expect(try Self.d("154320986.375").shifted(downBy: 6, roundedTo: 2, .halfAwayFromZero) == Self.d("154.32"))
    }
}
