import Testing
import TallyCore
import TallyTesting

@Suite("Money and currencies")
struct MoneyTests {
    @Test func addingTwoCurrenciesIsAnError() {
        #expect {
            try Money(1, .usd) + Money(1, .eur)
        } throws: { ($0 as? MoneyError)?.code == .currencyMismatch }
        #expect(throws: MoneyError.self) { try [Money(1, .usd), Money(2, .jpy)].sum(in: .usd) }
    }

    @Test func roundsToEachCurrencysMinorUnit() throws {
        let amount = try ExactDecimal(parsing: "1234.5675")
        #expect(Money(amount, .usd).rounded(.halfAwayFromZero).description == "1234.57 USD")
        #expect(Money(amount, .jpy).rounded(.halfAwayFromZero).description == "1235 JPY")
        let kwd = try Currency(code: "KWD")
        #expect(Money(amount, kwd).rounded(.halfAwayFromZero).description == "1234.568 KWD")
        #expect(Money(amount, .usd).formattedAmount() == "1234.57")
        #expect(Money(amount, .usd).description == "1234.5675 USD", "full precision until rounded")
    }

    @Test(arguments: ["XYZ", "usd", "US", "USDD", "", "EUR "])
    func unknownCurrenciesAreRefused(code: String) {
        #expect {
            try Currency(code: code)
        } throws: { ($0 as? MoneyError)?.code == .unknownCurrency }
    }

    @Test func knowsMinorUnits() throws {
        #expect(try Currency(code: "USD").minorUnits == 2)
        #expect(try Currency(code: "JPY").minorUnits == 0)
        #expect(try Currency(code: "BHD").minorUnits == 3)
        #expect(try Currency(code: "KRW").minorUnits == 0)
        #expect(try Currency(code: "INR").minorUnits == 2)
        #expect(Currency.allCodes.count > 150)
    }

    @Test func sumOfRoundedLinesIsReproducible() throws {
        // Rounding once per line then summing, in any order, gives the same subtotal.
        var random = SeededRandom(seed: 7)
        for _ in 0..<500 {
            let lines = (0..<20).map { _ in Money(random.decimal(integerDigits: 6, places: 9).magnitude, .eur) }
            let rounded = lines.map { $0.rounded(.halfAwayFromZero) }
            let forward = try rounded.sum(in: .eur)
            let backward = try rounded.reversed().sum(in: .eur)
            #expect(forward == backward)
            #expect(forward.isRoundedToMinorUnits)
        }
    }
}
