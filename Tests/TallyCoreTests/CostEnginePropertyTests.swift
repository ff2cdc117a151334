import Testing
import TallyCore
import TallyTesting

/// The conservation laws of SPEC §3 over random fleets: several currencies,
/// contracts that start and end mid-hour, upfront fees, spot buys with and
/// without preemption, and allocations up to the reserved capacity.
@Suite("Cost engine properties")
struct CostEnginePropertyTests {
    struct Fleet {
        var sites: [Site] = []
        var purchases: [CapacityPurchase] = []
        var allocations: [Allocation] = []
        var fx = FXTable(reportingCurrency: .usd)
        let period: CostPeriod
    }

    static func fleet(seed: UInt64) throws -> Fleet {
        var random = SeededRandom(seed: seed)
        let start = try UTCTimestamp(parsing: "2026-11-01T00:00:00Z")
        let days = Int.random(in: 1...4, using: &random)
        var fleet = Fleet(period: try CostPeriod(from: start, to: start.adding(microseconds: Int64(days) * UTCTimestamp.microsecondsPerDay)))
        let currencies: [Currency] = [.usd, .eur, .jpy, try Currency(code: "INR")]
        for c in currencies where c != .usd {
            for day in stride(from: -1, to: days, by: Int.random(in: 1...2, using: &random)) {
                fleet.fx.add(day: start.date.adding(days: day), currency: c,
                             rate: try random.decimal(integerDigits: 1, places: 6).magnitude + ExactDecimal(units: 1_000_000_000_000))
            }
        }
        let gpuTypes = ["H100", "H200", "L40S"]
        for s in 0..<Int.random(in: 1...4, using: &random) {
            fleet.sites.append(Site(id: "site\(s)", provider: "p", country: ["US", "DE", "JP", "IN"][s % 4],
                                    currency: currencies[Int.random(in: 0..<4, using: &random)]))
        }
        let hours = fleet.period.hourCount
        var n = 0
        for site in fleet.sites {
            for gpu in gpuTypes.prefix(Int.random(in: 1...3, using: &random)) {
                let pool = Pool(site: site.id, gpuType: gpu)
                let base = Int.random(in: 1...64, using: &random)
                // A base contract covering the whole period: allocations stay under it.
                n += 1
                fleet.purchases.append(CapacityPurchase(
                    id: "r\(n)", kind: .reserved, pool: pool, gpuCount: base,
                    start: fleet.period.from.adding(microseconds: -Int64.random(in: 0...10_000_000_000, using: &random) * 1000),
                    end: fleet.period.to.adding(microseconds: Int64.random(in: 0...10_000_000_000, using: &random) * 1000),
                    pricePerGPUHour: random.decimal(integerDigits: 1, places: 6).magnitude,
                    upfrontFee: Bool.random(using: &random) ? random.decimal(integerDigits: 5, places: 2).magnitude : .zero))
                // Extra contracts and spot buys with odd second boundaries.
                for _ in 0..<Int.random(in: 0...3, using: &random) {
                    n += 1
                    let a = Int64.random(in: 0..<Int64(hours * 3600), using: &random)
                    let b = Int64.random(in: (a + 1)...Int64(hours * 3600 + 7200), using: &random)
                    let kind = CapacityPurchase.Kind.allCases.randomElement(using: &random)!
                    let preempt = kind != .reserved && Bool.random(using: &random)
                    fleet.purchases.append(CapacityPurchase(
                        id: "x\(n)", kind: kind, pool: pool, gpuCount: Int.random(in: 1...16, using: &random),
                        start: fleet.period.from.adding(microseconds: a * 1_000_000),
                        end: fleet.period.from.adding(microseconds: b * 1_000_000),
                        pricePerGPUHour: random.decimal(integerDigits: 1, places: 6).magnitude,
                        upfrontFee: kind == .reserved ? random.decimal(integerDigits: 3, places: 2).magnitude : .zero,
                        preemptedAt: preempt ? fleet.period.from.adding(microseconds: Int64.random(in: a...b, using: &random) * 1_000_000) : nil))
                }
                // Some pools stay unused (stranded); others serve up to three models.
                guard Int.random(in: 0..<5, using: &random) > 0 else { continue }
                for h in 0..<hours {
                    var left = ExactDecimal(base)
                    for model in ["m1", "m2", "m3"] where Bool.random(using: &random) {
                        let share = try left.multiplied(by: random.decimal(integerDigits: 0, places: 3).magnitude, rounding: .towardZero)
                        left = try left - share
                        fleet.allocations.append(Allocation(hour: fleet.period.hourStart(h), pool: pool, model: model, gpusUsed: share,
                                                            tokens: TokenCounts(input: Int64.random(in: 0...1_000_000, using: &random))))
                    }
                }
            }
        }
        return fleet
    }

    @Test(arguments: 1...40)
    func conservationHoldsExactly(seed: Int) throws {
        let fleet = try Self.fleet(seed: UInt64(seed))
        let ledger = try CostEngine(period: fleet.period, sites: fleet.sites, fx: fleet.fx)
            .compute(purchases: fleet.purchases, allocations: fleet.allocations)
        let totals = try ledger.totals()
        #expect(try totals.usedCost + totals.idleCost == totals.purchaseCost, "used + idle = purchase")
        #expect(try totals.fullyLoadedCost + totals.strandedCost == totals.purchaseCost, "fully loaded + stranded = purchase")
        #expect(totals.usedGPUHours <= totals.capacityGPUHours)
        for figures in ledger.usage.values {
            #expect(figures.fullyLoadedCost >= figures.usedCost, "idle share is never negative")
        }
        // Every grouping adds up to the same totals.
        for dimension in CostReport.Dimension.allCases {
            let report = try CostReport(ledger: ledger, by: dimension)
            #expect(try report.rows.map(\.usedCost).sum() == totals.usedCost)
            #expect(try report.rows.map(\.fullyLoadedCost).sum() == totals.fullyLoadedCost)
            if dimension != .model {
                #expect(try report.rows.map { $0.purchaseCost! }.sum() == totals.purchaseCost, "\(dimension)")
                #expect(try report.rows.map { $0.strandedCost! }.sum() == totals.strandedCost)
            }
        }
    }

    /// Capacity and spot GPU-hours equal the exact rational value, Σ GPUs ×
    /// active seconds ÷ 3600 (computed here in integers), rounded once at
    /// 10⁻¹⁸: per pool, per day and in total, whatever the odd second
    /// boundaries of the purchases. So does each pool's purchase cost,
    /// Σ GPUs × price × seconds × FX rate of the day ÷ 3600 (prices and rates
    /// have 6 decimals here: integers in millionths); the upfront fees are
    /// left out of this fleet (their exact value has each term as its own
    /// denominator; a hand-computed test covers them).
    @Test(arguments: 1...30)
    func capacityAndSpotGPUHoursAreExact(seed: Int) throws {
        let fleet = try Self.fleet(seed: UInt64(seed) + 500)
        let purchases = fleet.purchases.map {
            CapacityPurchase(id: $0.id, kind: $0.kind, pool: $0.pool, gpuCount: $0.gpuCount, start: $0.start, end: $0.end,
                             pricePerGPUHour: $0.pricePerGPUHour, preemptedAt: $0.preemptedAt)
        }
        let ledger = try CostEngine(period: fleet.period, sites: fleet.sites, fx: fleet.fx)
            .compute(purchases: purchases, allocations: [])
        func hours(_ seconds: Int64) throws -> ExactDecimal {
            try ExactDecimal(Int(seconds)).divided(by: ExactDecimal(3600), rounding: .halfEven)
        }
        func millionths(_ value: ExactDecimal) throws -> Int128 {
            let (q, r) = value.units.quotientAndRemainder(dividingBy: 1_000_000_000_000)
            try #require(r == 0, "\(value) has at most 6 decimals")
            return q
        }
        var capacity: [String: Int64] = [:]
        var spot: [String: Int64] = [:]
        var days: [String: Int64] = [:]
        // Σ GPUs × price × seconds × rate, in 10⁻¹² (price and rate in millionths).
        var cost: [String: Int128] = [:]
        let currencies = Dictionary(uniqueKeysWithValues: fleet.sites.map { ($0.id, $0.currency) })
        for purchase in purchases {
            let key = purchase.pool.description
            let seconds = Int64(purchase.gpuCount) * purchase.activeSeconds(from: fleet.period.from, to: fleet.period.to)
            capacity[key, default: 0] += seconds
            if purchase.kind.isSpotLike { spot[key, default: 0] += seconds }
            for day in 0..<(fleet.period.hourCount / 24) {
                let from = fleet.period.from.adding(microseconds: Int64(day) * UTCTimestamp.microsecondsPerDay)
                let to = from.adding(microseconds: UTCTimestamp.microsecondsPerDay)
                let daySeconds = Int64(purchase.gpuCount) * purchase.activeSeconds(from: from, to: to)
                days[from.date.description, default: 0] += daySeconds
                let rate = try fleet.fx.rate(currencies[purchase.pool.site]!, on: from.date)
                cost[key, default: 0] += Int128(daySeconds) * (try millionths(purchase.pricePerGPUHour)) * (try millionths(rate))
            }
        }
        /// `numerator × 10⁻¹² ÷ 3600` as 10⁻¹⁸ units, rounded once, half even.
        func exactCost(_ numerator: Int128) -> ExactDecimal {
            let (q, r) = (numerator * 1_000_000).quotientAndRemainder(dividingBy: 3600)
            return ExactDecimal(units: 2 * r > 3600 || (2 * r == 3600 && q & 1 == 1) ? q + 1 : q)
        }
        let byPool = try CostReport(ledger: ledger, by: .pool)
        for row in byPool.rows {
            #expect(row.capacityGPUHours == (try hours(capacity[row.key] ?? 0)), "\(row.key)")
            #expect(row.spotGPUHours == (try hours(spot[row.key] ?? 0)), "\(row.key)")
            #expect(row.purchaseCost == exactCost(cost[row.key] ?? 0), "\(row.key)")
        }
        for row in try CostReport(ledger: ledger, by: .day).rows {
            #expect(row.capacityGPUHours == (try hours(days[row.key] ?? 0)), "\(row.key)")
        }
        #expect(byPool.totals.capacityGPUHours == (try hours(capacity.values.reduce(0, +))))
        #expect(byPool.totals.spotGPUHours == (try hours(spot.values.reduce(0, +))))
    }

    @Test(arguments: 1...10)
    func overAllocationIsAlwaysCaught(seed: Int) throws {
        var fleet = try Self.fleet(seed: UInt64(seed) + 1000)
        let pool = fleet.purchases[0].pool
        // More than every purchase of the pool together could provide.
        let total = fleet.purchases.filter { $0.pool == pool }.reduce(0) { $0 + $1.gpuCount }
        fleet.allocations.append(Allocation(hour: fleet.period.hourStart(0), pool: pool, model: "greedy", gpusUsed: ExactDecimal(total + 1)))
        #expect {
            try CostEngine(period: fleet.period, sites: fleet.sites, fx: fleet.fx)
                .compute(purchases: fleet.purchases, allocations: fleet.allocations)
        } throws: { CostError.Code.overAllocated ~= $0 }
    }

    @Test func distributionIsExactAndProportional() throws {
        var random = SeededRandom(seed: 99)
        for _ in 0..<2_000 {
            let total = random.decimal(integerDigits: 8, places: 18)
            let weights = (0..<Int.random(in: 1...12, using: &random)).map { _ in random.decimal(integerDigits: 4, places: 6).magnitude }
            guard try weights.sum() > .zero else { continue }
            let parts = try total.distributed(proportionalTo: weights)
            #expect(try parts.sum() == total)
            for (part, weight) in zip(parts, weights) where weight.isZero {
                #expect(part.isZero)
            }
        }
        // No weight to split by is an error, not a crash.
        #expect { try ExactDecimal(10).distributed(proportionalTo: [.zero, .zero]) } throws: { MoneyError.Code.divisionByZero ~= $0 }
        #expect { try ExactDecimal(10).distributed(proportionalTo: [ExactDecimal(2), ExactDecimal(-1)]) } throws: { MoneyError.Code.divisionByZero ~= $0 }
    }
}
