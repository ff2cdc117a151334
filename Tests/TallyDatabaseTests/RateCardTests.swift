import Foundation
import Testing
import TallyCore
import TallyDatabase
import TallyPostgres
import TallyTesting

@Suite("Rate card files")
struct RateCardFileTests {
    static let good = """
        card: public
        currency: USD
        versions:
          - effective_from: 2026-10-01T00:00:00Z
            models:
              m:
                input: 0.60
                cached_input: 0.060000
                output:
                  tiers: graduated
                  bands:
                    - { up_to: 1000000, price: 0.80 }
                    - { price: 0.70 }
        """

    func problems(_ files: [String: String]) throws -> [String] {
        let temp = try TemporaryFiles(files)
        defer { temp.remove() }
        return RateCardFile.parseAll(path: temp.directory.path).problems.map {
            $0.description.replacingOccurrences(of: temp.directory.path + "/", with: "")
        }
    }

    @Test func readsPricesExactlyFromTheirText() throws {
        let temp = try TemporaryFiles(["public.yaml": Self.good])
        defer { temp.remove() }
        let (cards, problems) = RateCardFile.parseAll(path: temp.directory.path)
        #expect(problems.isEmpty)
        let prices = try #require(cards.first?.card.versions.first?.prices["m"])
        #expect(prices[.input]?.bands.map(\.pricePerMillion) == [try ExactDecimal(parsing: "0.6")])
        // With the decimals the card writes (issue 13).
        #expect(prices[.input] == .flat(try StatedPrice(parsing: "0.60")))
        #expect(prices[.cachedInput]?.bands.map(\.price.description) == ["0.060000"])
        #expect(prices[.output]?.mode == .graduated)
        #expect(prices[.output]?.bands.map(\.upTo) == [1_000_000, nil])
    }

    /// An empty folder (a wrong TALLY_RATES) checked and loaded nothing with
    /// no word; so did a folder holding only tax rates. Both are a problem
    /// naming the folder, and a folder with a card still reads.
    @Test func aFolderWithoutCardsIsAProblemNamingIt() throws {
        let temp = try TemporaryFiles([
            "empty/notes.txt": "no card\n", "only-tax/tax/standard-rates.yaml": "tax_rates: []\n", "cards/public.yaml": Self.good,
        ])
        defer { temp.remove() }
        for folder in ["empty", "only-tax"] {
            let (cards, problems) = RateCardFile.parseAll(path: temp.path(folder))
            #expect(cards.isEmpty)
            #expect(problems.map(\.description) == [
                "\(temp.path(folder)): no rate card found in this folder (no *.yaml or *.yml file outside tax/): give the rate card folder",
            ])
        }
        #expect(RateCardFile.parseAll(path: temp.path("cards")).problems.isEmpty)
    }

    /// A NUL in a model name passed `rates check` (and failed in PostgreSQL
    /// on load); names are printable text without spaces around them.
    @Test func namesMustBePrintable() throws {
        let card = #"""
            card: "pub\u0007lic"
            currency: USD
            description: "a \0 here"
            versions:
              - effective_from: 2026-10-01T00:00:00Z
                models:
                  "llama\0x": { input: 1 }
                  "tab\tbed": { input: 1 }
                  " padded": { input: 1 }
                  ok: { input: 1 }
            """#
        let found = try problems(["public.yaml": card])
        #expect(found == [
            #"public.yaml:1: card 'pub\u{7}lic': must be printable: a control character (NUL, tab, newline, …) cannot be in a name"#,
            "public.yaml:3: description: holds a NUL character, which cannot be stored",
            #"public.yaml:7: model 'llama\u{0}x': must be printable: a control character (NUL, tab, newline, …) cannot be in a name"#,
            #"public.yaml:8: model 'tab\u{9}bed': must be printable: a control character (NUL, tab, newline, …) cannot be in a name"#,
            "public.yaml:9: model ' padded': must not begin or end with a space",
        ], "\(found)")
    }

    @Test func listsEveryProblemWithFileAndLine() throws {
        let bad = """
            card: public
            currency: USDX
            versions:
              - effective_from: 2026-10-01T00:00:00Z
                models:
                  a:
                    input: -0.10
                    output: 0.1234567
                    ouput: 1
                  b:
                    output:
                      tiers: graduated
                      bands:
                        - { up_to: 2000, price: 1 }
                        - { up_to: 1000, price: 2 }
                        - { price: 3 }
                  c:
                    output:
                      tiers: volume
                      bands:
                        - { up_to: 1000, price: 1 }
                        - { up_to: 2000, price: 2 }
              - effective_from: 2026-10-01T00:00:00Z
                models: {}
              - effective_from: 2026-10-01T00:30:00Z
                models: {}
            """
        let custom = """
            card: acme
            base: nowhere
            currency: USD
            versions:
              - effective_from: 2026-10-01T00:00:00Z
                discount_percent: 150
            """
        let found = try problems(["public.yaml": bad, "custom.yaml": custom])
        let expected = [
            "public.yaml:2: currency 'USDX': not an ISO 4217 currency code",
            "public.yaml:7: a.input '-0.10': a price cannot be negative",
            "public.yaml:8: a.output '0.1234567': prices per 1M tokens have at most 6 decimals",
            "public.yaml:9: ouput: unknown key in model a",
            "public.yaml:15: b.output.bands[2].up_to '1000': bands must ascend: this one must end above 2000",
            "public.yaml:22: c.output.bands[2]: the last band must be without up_to, so every token is priced (no gap)",
            "public.yaml:23: effective_from '2026-10-01T00:00:00Z': given twice (first at line 4)",
            "public.yaml:25: effective_from '2026-10-01T00:30:00Z': must fall on a whole UTC hour",
            "custom.yaml:6: discount_percent '150': must be a percentage from 0 to 100 with at most 4 decimals",
        ]
        for line in expected {
            #expect(found.contains { $0.hasPrefix(line) }, "missing: \(line)\ngot:\n\(found.joined(separator: "\n"))")
        }
    }

    @Test func aModelPricedTwiceIsRefusedWithItsLine() throws {
        let twice = Self.good + "\n      m:\n        input: 1\n"
        let found = try problems(["public.yaml": twice])
        #expect(found.count == 1)
        #expect(found[0].contains("public.yaml:") && found[0].contains("m: given twice"), "\(found)")
    }

    @Test func anOverrideNeedsAnExistingBaseInItsCurrency() throws {
        let custom = """
            card: acme
            base: nowhere
            currency: USD
            versions:
              - effective_from: 2026-10-01T00:00:00Z
                discount_percent: 10
            """
        #expect(try problems(["public.yaml": Self.good, "acme.yaml": custom]).contains("acme.yaml:1: base 'nowhere': no such card"))
        let euro = custom.replacingOccurrences(of: "nowhere", with: "public").replacingOccurrences(of: "USD", with: "EUR")
        #expect(try problems(["public.yaml": Self.good, "acme.yaml": euro]).contains("acme.yaml:1: currency 'EUR': differs from base card 'public' (USD)"))
        let tiered = """
            card: acme
            base: public
            currency: USD
            versions:
              - effective_from: 2026-10-01T00:00:00Z
                models:
                  m:
                    output:
                      tiers: volume
                      bands: [{ price: 1 }]
            """
        #expect(try problems(["public.yaml": Self.good, "acme.yaml": tiered]).contains("acme.yaml:8: m.output: override prices are flat (one price, no tiers)"))
    }

    @Test func theShippedCardsAreValidAndPriceTwentyPlusModels() throws {
        let (cards, problems) = RateCardFile.parseAll(path: TestDatabase.projectRoot.appendingPathComponent("rates").path)
        #expect(problems.isEmpty, "\(problems)")
        let publicCard = try #require(cards.first { $0.card.id == "public" }?.card)
        #expect(Set(publicCard.versions.flatMap { $0.prices.keys }).count >= 20)
    }
}

@Suite("Rate cards in the database")
struct RateCardStoreTests {
    @Test func loadingTwiceChangesNothingAndALockedVersionCannotChange() async throws {
        let temp = try TemporaryFiles(["public.yaml": RateCardFileTests.good])
        defer { temp.remove() }
        try await TestDatabase.withSchema { pool, _ in
            try await pool.withConnection { db in
                let store = RateCardStore(db)
                let first = try store.load(RateCardFile.parseAll(path: temp.directory.path).cards)
                #expect(first.versionsAdded == 1)
                let second = try store.load(RateCardFile.parseAll(path: temp.directory.path).cards)
                #expect(second.versionsAdded == 0 && second.versionsChanged == 0 && second.versionsUnchanged == 1)
                #expect(try store.cards().first?.versions == RateCardFile.parseAll(path: temp.directory.path).cards.first?.card.versions)

                // An unlocked version may still be corrected …
                try temp.write("public.yaml", RateCardFileTests.good.replacingOccurrences(of: "input: 0.60", with: "input: 0.65"))
                #expect(try store.load(RateCardFile.parseAll(path: temp.directory.path).cards).versionsChanged == 1)
                // … but once an invoice used it, a change is refused and nothing is written.
                try store.lock(card: "public", version: try UTCTimestamp(parsing: "2026-10-01T00:00:00Z"), reason: "INV-2026-000001")
                try temp.write("public.yaml", RateCardFileTests.good.replacingOccurrences(of: "input: 0.60", with: "input: 0.70"))
                #expect {
                    try store.load(RateCardFile.parseAll(path: temp.directory.path).cards)
                } throws: { "\($0)".contains("used by an issued invoice and cannot change; publish a new version instead") }
                let input = try store.cards().first?.versions.first?.prices["m"]?[.input]
                #expect(input == .flat(try ExactDecimal(parsing: "0.65")))
                // Publishing a new version is fine.
                try temp.write("public.yaml", RateCardFileTests.good.replacingOccurrences(of: "input: 0.60", with: "input: 0.65") + """

                      - effective_from: 2026-12-01T00:00:00Z
                        models:
                          m:
                            input: 0.70
                    """)
                #expect(try store.load(RateCardFile.parseAll(path: temp.directory.path).cards).versionsAdded == 1)
            }
        }
    }
}
