import Foundation
import Testing
import TallyCore
import TallyDatabase
import TallyPostgres
import TallyTesting

/// Quotes against PostgreSQL: cost basis from the supply tables, storage,
/// ids, status and expiry, acceptance writing the customer's card file, and
/// an invoice priced by that card afterwards.
@Suite("Quotes in the database")
struct QuoteStoreTests {
    static let list = """
        card: list
        currency: USD
        versions:
          - effective_from: 2026-10-01T00:00:00Z
            models:
              m:
                input: 1.00
                cached_input: 0.10
                output:
                  tiers: graduated
                  bands:
                    - { up_to: 1000000, price: 2.00 }
                    - { up_to: 5000000, price: 1.50 }
                    - { price: 1.00 }
              v:
                output: 0.60
        """
    /// One GPU-hour for 20.00 USD used by m with 10M input and 10M output tokens:
    /// m costs 0.40 / 0.04 / 1.60 per 1M (weights 1 / 0.1 / 4).
    static let supply: [String: String] = [
        "sites.csv": "id,provider,country,currency\nus-east,Acme,US,USD\n",
        "gpu_types.csv": "id,memory_gb,description\nH100,80,\n",
        "contracts.csv": "id,site_id,gpu_type_id,gpu_count,starts_at,ends_at,price_per_gpu_hour,upfront_fee\nr1,us-east,H100,1,2026-11-10T00:00:00Z,2026-11-10T01:00:00Z,20.00,0\n",
        "allocations.csv": "hour,site_id,gpu_type_id,model,gpus_used,input_tokens,cached_input_tokens,output_tokens\n2026-11-10T00:00:00Z,us-east,H100,m,1,10000000,0,10000000\n",
    ]
    static let customers = """
        id,name,billing_email,country,vat_id,tax_treatment,currency,card
        acme,Acme AI,billing@acme.ai,US,,standard,USD,list
        """
    static let taxes = "tax_rates:\n  - { country: US, effective_from: 2000-01-01, percent: 0, name: Sales tax }\n"
    static func t(_ s: String) -> UTCTimestamp { try! UTCTimestamp(parsing: s) }
    static func d(_ s: String) -> ExactDecimal { try! ExactDecimal(parsing: s) }
    static let nov14 = try! CivilDate(parsing: "2026-11-14")

    func withData<T>(_ body: (ConnectionPool, TemporaryFiles) async throws -> T) async throws -> T {
        var files = Self.supply
        files["rates/list.yaml"] = Self.list
        files["customers.csv"] = Self.customers
        files["tax.yaml"] = Self.taxes
        let temp = try TemporaryFiles(files)
        defer { temp.remove() }
        return try await TestDatabase.withSchema { pool, _ in
            try await pool.withConnection { db in
                _ = try SupplyImporter().importFiles(["sites.csv", "gpu_types.csv", "contracts.csv", "allocations.csv"].map(temp.path), into: db)
                let (cards, problems) = RateCardFile.parseAll(path: temp.path("rates"))
                #expect(problems.isEmpty)
                _ = try RateCardStore(db).load(cards)
                try TaxRateStore(db).load(TaxRateFile.parseAll(path: temp.path("tax.yaml")).rates)
                _ = try CustomerStore(db).importFile(temp.path("customers.csv"))
            }
            return try await body(pool, temp)
        }
    }

    static let m = QuoteVolume(model: "m", tokens: TokenCounts(input: 3_000_000, cachedInput: 500_000, output: 6_000_000))

    @Test func aQuoteIsPricedFromTheTrailingCostsStoredAndListed() async throws {
        try await withData { pool, _ in
            try await pool.withConnection { db in
                let now = Self.t("2026-11-14T09:30:00Z")
                let made = try QuoteMaker(db).make(.init(prospect: "Globex", volumes: [Self.m, QuoteVolume(model: "v", tokens: TokenCounts(output: 1_000_000))],
                                                         card: "list", asOf: Self.nov14), now: now)
                // Window: the 30 days before 2026-11-14, with the one GPU-hour.
                #expect(made.costBasis.firstDay.description == "2026-10-15" && made.costBasis.lastDay.description == "2026-11-13")
                #expect(made.costBasis.usedGPUHours == 1 && made.costBasis.tokens == 20_000_000)
                #expect(made.lines.map(\.price.amount) == [3, Self.d("0.05"), 9, Self.d("0.6")])
                #expect(made.models[0].figures.cost == Self.d("10.82"))
                #expect(made.models[1].figures.cost == nil, "v has no cost history")
                #expect(made.flags.map(\.kind) == [.belowCost, .belowFloor, .unverified, .unverified])
                #expect(made.pricedAt == Self.nov14.startOfDay && made.prospect == "Globex")
                let store = QuoteStore(db)
                let first = try store.save(made)
                let second = try store.save(made)
                #expect(first.id == "Q-2026-000001" && second.id == "Q-2026-000002")
                let record = try #require(try store.record(id: "Q-2026-000001", now: now))
                #expect(record.quote == first && record.status == .open)
                #expect(try store.list(status: .open, now: now).map(\.quote.id) == ["Q-2026-000001", "Q-2026-000002"])
                // 30 days later both have expired.
                let later = Self.t("2026-12-14T09:30:00Z")
                #expect(try store.list(status: .expired, now: later).count == 2 && store.list(status: .open, now: later).isEmpty)
                #expect(try store.record(id: "Q-2026-999999") == nil)
            }
        }
    }

    @Test func theCostWindowIsTheThirtyDaysBeforeAsOf() async throws {
        try await withData { pool, _ in
            try await pool.withConnection { db in
                let now = Self.t("2026-12-20T09:30:00Z")
                // The one GPU-hour is on 2026-11-10.
                func cost(asOf day: String) throws -> ExactDecimal? {
                    try QuoteMaker(db).make(.init(prospect: "Globex", volumes: [Self.m], card: "list", asOf: try CivilDate(parsing: day)), now: now)
                        .models[0].figures.cost
                }
                let costs = try ["2026-11-10", "2026-11-11", "2026-12-10", "2026-12-11"].map { try cost(asOf: $0) }
                // The as-of day itself is not in the window, the day before is, the 30th day before is, the 31st is not.
                #expect(costs == [nil, Self.d("10.82"), Self.d("10.82"), nil])
            }
        }
    }

    @Test func anUnknownCustomerOrCardIsRefused() async throws {
        try await withData { pool, _ in
            try await pool.withConnection { db in
                #expect(throws: QuoteError.self) { try QuoteMaker(db).make(.init(customer: "nobody", volumes: [Self.m], asOf: Self.nov14)) }
                #expect(throws: QuoteError.self) { try QuoteMaker(db).make(.init(prospect: "p", volumes: [Self.m], card: "nope", asOf: Self.nov14)) }
            }
        }
    }

    @Test func acceptanceWritesTheCardAndTheNextInvoiceIsPricedByIt() async throws {
        try await withData { pool, temp in
            try await pool.withConnection { db in
                let now = Self.t("2026-11-14T09:30:00Z")
                // acme is on "list": 10% off it, and m output at 2.00 flat.
                let quote = try QuoteStore(db).save(try QuoteMaker(db).make(.init(
                    customer: "acme", volumes: [Self.m], discountPercent: 10, prices: try QuotePrice.parse("m:output=2.00"),
                    asOf: Self.nov14), now: now))
                #expect(quote.basis.card == "list" && quote.flags.isEmpty)
                let accept = QuoteAcceptance(db, ratesDirectory: temp.path("rates"))
                let result = try accept.accept(id: quote.id!, effective: Self.t("2026-11-15T00:00:00Z"), now: now)
                #expect(result.created && result.card == "acme" && result.file == temp.path("rates/custom/acme.yaml"))
                // The file reads back as a card: list's prices until the quote, then the quote's.
                let (cards, problems) = RateCardFile.parseAll(path: temp.path("rates"))
                #expect(problems.isEmpty)
                let card = try #require(cards.first { $0.card.id == "acme" }?.card)
                #expect(card.base == "list" && card.versions.map(\.effectiveFrom) == [Self.t("2026-10-01T00:00:00Z"), Self.t("2026-11-15T00:00:00Z")])
                #expect(card.versions[0].discountPercent == 0 && card.versions[1].discountPercent == 10)
                // The own price as it was given (`2.00`, issue 13).
                #expect(card.versions[1].prices == ["m": [.output: .flat(try StatedPrice(parsing: "2.00"))]])
                #expect(try CustomerStore(db).customer(id: "acme")?.card == "acme")
                #expect(try QuoteStore(db).record(id: quote.id!, now: now)?.status == .accepted)
                // Twice is refused.
                #expect(throws: QuoteError.self) { try accept.accept(id: quote.id!, now: now) }

                // November: 1M input + 1M output before the quote's version, the same after.
                try temp.write("nov.ndjson", [
                    Self.event("e1", "2026-11-02T10:00:00Z", input: 1_000_000, output: 1_000_000),
                    Self.event("e2", "2026-11-20T10:00:00Z", input: 1_000_000, output: 1_000_000),
                ].joined(separator: "\n"))
                _ = try UsageIngester(db).ingest(path: temp.path("nov.ndjson"), format: .ndjson, rejectsPath: temp.path("r.ndjson"), now: TestClock.now)
                try InvoiceRun(db, issuer: Self.issuer).run(period: try BillingMonth(parsing: "2026-11"))
                let invoice = try InvoiceStore(db).invoice(named: "acme/2026-11")
                #expect(invoice.lines.map { "\($0.tokenClass.rawValue) \($0.source.card)@\($0.source.version.date) \($0.quantity) @\($0.unitPricePerMillion) = \($0.amount.amount)" } == [
                    "input acme@2026-10-01 1000000 @1 = 1",
                    "input acme@2026-11-15 1000000 @0.9 = 0.9",
                    "output acme@2026-10-01 1000000 @2 = 2",
                    "output acme@2026-11-15 1000000 @2 = 2",
                ])
                #expect(invoice.subtotal.amount == Self.d("5.90"))

                // A second quote appends a version to the same file.
                let again = try QuoteStore(db).save(try QuoteMaker(db).make(.init(
                    customer: "acme", volumes: [Self.m], card: "list", discountPercent: 15, asOf: Self.nov14), now: now))
                let second = try accept.accept(id: again.id!, effective: Self.t("2026-12-01T00:00:00Z"), now: now)
                #expect(!second.created)
                let text = try String(contentsOfFile: second.file, encoding: .utf8)
                #expect(text.contains("from quote \(quote.id!)") && text.contains("from quote \(again.id!)"))
                #expect(RateCardFile.parse(path: second.file).cards.first?.card.versions.count == 3)
            }
        }
    }

    @Test func twoAcceptancesAtOnceLoseNoVersion() async throws {
        try await withData { pool, temp in
            let now = Self.t("2026-11-14T09:30:00Z")
            let (first, second) = try await pool.withConnection { db in
                let make = { (discount: ExactDecimal) in
                    try QuoteStore(db).save(try QuoteMaker(db).make(.init(customer: "acme", volumes: [Self.m], discountPercent: discount, asOf: Self.nov14), now: now))
                }
                return (try make(5).id!, try make(8).id!)
            }
            let rates = temp.path("rates")
            // Both read the file and the loaded card; without the lock the second would drop the first's version.
            async let one: String? = pool.withConnection { db in
                try? QuoteAcceptance(db, ratesDirectory: rates).accept(id: first, effective: Self.t("2026-12-01T00:00:00Z"), now: now).quote
            }
            async let two: String? = pool.withConnection { db in
                try? QuoteAcceptance(db, ratesDirectory: rates).accept(id: second, effective: Self.t("2026-12-02T00:00:00Z"), now: now).quote
            }
            let accepted = [try await one, try await two].compactMap { $0 }
            #expect(!accepted.isEmpty)
            try await pool.withConnection { db in
                // Every accepted quote's version is in the file and in the loaded card.
                let fromFile = try #require(RateCardFile.parse(path: temp.path("rates/custom/acme.yaml")).cards.first?.card)
                let loaded = try #require(try RateCardStore(db).cards().first { $0.id == "acme" })
                for id in accepted {
                    let start = try #require(try QuoteStore(db).record(id: id, now: now)?.acceptedEffectiveFrom)
                    #expect(fromFile.versions.contains { $0.effectiveFrom == start }, "\(id) in the file")
                    #expect(loaded.versions.contains { $0.effectiveFrom == start }, "\(id) in the database")
                }
                #expect(fromFile.versions.map(\.effectiveFrom) == loaded.versions.map(\.effectiveFrom))
            }
        }
    }

    @Test func anAcceptanceKilledBeforeItsCommitCanBeRunAgain() async throws {
        try await withData { pool, temp in
            try await pool.withConnection { db in
                let now = Self.t("2026-11-14T09:30:00Z")
                let quote = try QuoteStore(db).save(try QuoteMaker(db).make(.init(customer: "acme", volumes: [Self.m], discountPercent: 5, asOf: Self.nov14), now: now))
                let accept = QuoteAcceptance(db, ratesDirectory: temp.path("rates"))
                let start = Self.t("2026-12-01T00:00:00Z")
                // The file is put in place, then the transaction never commits (as when the process is killed).
                struct Killed: Error {}
                #expect(throws: Killed.self) {
                    try db.transaction {
                        _ = try accept.accept(id: quote.id!, effective: start, now: now)
                        throw Killed()
                    }
                }
                #expect(FileManager.default.fileExists(atPath: temp.path("rates/custom/acme.yaml")))
                #expect(try QuoteStore(db).record(id: quote.id!, now: now)?.status == .open)
                // Run again: the file already has the version; the database side is finished.
                let result = try accept.accept(id: quote.id!, effective: start, now: now)
                #expect(result.notes.contains { $0.contains("did not finish") })
                #expect(try QuoteStore(db).record(id: quote.id!, now: now)?.status == .accepted)
                #expect(try RateCardStore(db).cards().first { $0.id == "acme" }?.versions.map(\.effectiveFrom).last == start)
                #expect(RateCardFile.parse(path: temp.path("rates/custom/acme.yaml")).cards.first?.card.versions.count == 2)
            }
        }
    }

    @Test func prospectsNeedACustomerAndExpiredQuotesAreRefused() async throws {
        try await withData { pool, temp in
            try await pool.withConnection { db in
                let now = Self.t("2026-11-14T09:30:00Z")
                let quote = try QuoteStore(db).save(try QuoteMaker(db).make(.init(prospect: "Globex", volumes: [Self.m], card: "list", asOf: Self.nov14), now: now))
                let accept = QuoteAcceptance(db, ratesDirectory: temp.path("rates"))
                #expect { try accept.accept(id: quote.id!, now: now) } throws: { "\($0)".contains("--customer") }
                #expect { try accept.accept(id: quote.id!, customer: "ghost", now: now) } throws: { "\($0)".contains("no customer 'ghost'") }
                #expect { try accept.accept(id: quote.id!, customer: "acme", now: Self.t("2026-12-20T00:00:00Z")) } throws: { "\($0)".contains("expired") }
                // A back-dated start would reprice usage that already happened; a start after expiry is no quote.
                #expect { try accept.accept(id: quote.id!, customer: "acme", effective: Self.t("2026-11-14T08:00:00Z"), now: now) } throws: {
                    "\($0)".contains("in the past")
                }
                #expect { try accept.accept(id: quote.id!, customer: "acme", effective: Self.t("2027-01-01T00:00:00Z"), now: now) } throws: {
                    "\($0)".contains("after the quote expires")
                }
                // A rates folder without the base card (a typo in --rates): the card written there would never load.
                try FileManager.default.createDirectory(atPath: temp.path("elsewhere"), withIntermediateDirectories: true)
                #expect { try QuoteAcceptance(db, ratesDirectory: temp.path("elsewhere")).accept(id: quote.id!, customer: "acme", now: now) } throws: {
                    QuoteError.Code.refused ~= $0 && "\($0)".contains("\(temp.path("elsewhere")) has no card 'list'") && "\($0)".contains("--rates")
                }
                #expect(!FileManager.default.fileExists(atPath: temp.path("elsewhere/custom")), "nothing written there")
                // A folder that does not exist is said to be missing (bad input), not to lack the card.
                #expect { try QuoteAcceptance(db, ratesDirectory: temp.path("nonexistent")).accept(id: quote.id!, customer: "acme", now: now) } throws: {
                    QuoteError.Code.invalidInput ~= $0 && "\($0)".contains("\(temp.path("nonexistent")) does not exist") && !"\($0)".contains("has no card")
                }
                #expect { try QuoteAcceptance(db, ratesDirectory: temp.path("tax.yaml")).accept(id: quote.id!, customer: "acme", now: now) } throws: {
                    QuoteError.Code.invalidInput ~= $0 && "\($0)".contains("is not a folder")
                }
                #expect(!FileManager.default.fileExists(atPath: temp.path("nonexistent")), "nothing created")
                #expect(!FileManager.default.fileExists(atPath: temp.path("rates/custom/acme.yaml")), "nothing written")
                #expect(try CustomerStore(db).customer(id: "acme")?.card == "list")
                // The prospect's quote, accepted in time for acme: next whole hour.
                let result = try accept.accept(id: quote.id!, customer: "acme", now: now)
                #expect(result.effectiveFrom == Self.t("2026-11-14T10:00:00Z"))
            }
        }
    }

    /// With no start given, an accepted quote starts at the clock's next whole
    /// hour, also across a year end.
    @Test(arguments: [("2029-12-31T23:30:00Z", "2030-01-01T00:00:00Z"), ("2028-02-29T12:00:00Z", "2028-02-29T13:00:00Z")])
    func acceptanceStartsAtTheNextWholeHourOfTheClock(_ now: String, _ start: String) async throws {
        try await withData { pool, temp in
            try await pool.withConnection { db in
                let clock = TallyClock.fixed(at: Self.t(now))
                let quote = try QuoteStore(db).save(try QuoteMaker(db).make(.init(customer: "acme", volumes: [Self.m], card: "list", asOf: Self.nov14), now: clock.now))
                let result = try QuoteAcceptance(db, ratesDirectory: temp.path("rates")).accept(id: quote.id!, now: clock.now)
                #expect(result.effectiveFrom == Self.t(start))
                #expect(quote.id!.hasPrefix("Q-\(now.prefix(4))-"))
            }
        }
    }

    @Test func aVolumesFileIsReadStrictly() throws {
        let temp = try TemporaryFiles([
            "good.csv": "model,input,cached_input,output\nm,2e9,0,5e8\nv,0,0,1000\n",
            "bad.csv": "model,input,cached_input,output\nm,2.5,0,1\nm,1,0,1\nx,-1,0,0\n",
        ])
        defer { temp.remove() }
        #expect(try QuoteVolumesFile.read(path: temp.path("good.csv")) == [
            QuoteVolume(model: "m", tokens: TokenCounts(input: 2_000_000_000, output: 500_000_000)),
            QuoteVolume(model: "v", tokens: TokenCounts(output: 1000)),
        ])
        #expect { try QuoteVolumesFile.read(path: temp.path("bad.csv")) } throws: { error in
            let text = "\(error)"
            return text.contains("bad.csv:2: input '2.5': not a whole number") && text.contains("bad.csv:3: model 'm': already given at line 2")
                && text.contains("bad.csv:4: input '-1': a token count cannot be negative")
        }
    }

    static func event(_ id: String, _ at: String, input: Int = 0, output: Int = 0) -> String {
        #"{"id":"\#(id)","customer":"acme","model":"m","timestamp":"\#(at)","input_tokens":\#(input),"cached_input_tokens":0,"output_tokens":\#(output),"site":"us-east","tag":""}"#
    }

    static let issuer = Issuer.test
}
