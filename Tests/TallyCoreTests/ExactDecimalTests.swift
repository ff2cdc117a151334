import Testing
import TallyCore

@Suite("ExactDecimal: parsing, formatting, arithmetic")
struct ExactDecimalTests {
    @Test(arguments: [
        ("0", "0"), ("1", "1"), ("-1", "-1"), ("0.1", "0.1"), ("123.456000", "123.456"),
        ("-0.000000000000000001", "-0.000000000000000001"), ("+5", "5"), (".5", "0.5"), ("5.", "5"),
        ("000012.5000", "12.5"), ("-0", "0"), ("1.000000000000000000000000000000", "1"),
        ("-170141183460469231731.687303715884105727", "-170141183460469231731.687303715884105727"), ("170141183460469231731.687303715884105727", "170141183460469231731.687303715884105727"),
    ])
    func parsesAndFormatsExactly(text: String, expected: String) throws {
        #expect(try ExactDecimal(parsing: text).description == expected)
    }

    @Test(arguments: ["", "-", "+", ".", "1.2.3", "abc", "1e5", " 1", "1 ", "1,000", "0x10", "--1", "1-", "NaN", "∞", "１"])
    func rejectsWhatIsNotADecimal(text: String) {
        #expect(throws: MoneyError.self) { try ExactDecimal(parsing: text) }
    }

    @Test func refusesMoreThanEighteenPlacesInsteadOfRounding() throws {
        #expect {
            try ExactDecimal(parsing: "0.0000000000000000001")
        } throws: { ($0 as? MoneyError)?.code == .inexact }
        // Trailing zeros past 18 places are still exact.
        #expect(try ExactDecimal(parsing: "0.1000000000000000000000").description == "0.1")
    }

    @Test func refusesOutOfRange() {
        for text in [
            "1000000000000000000000", "-1000000000000000000000", String(repeating: "9", count: 60),
            "-170141183460469231731.687303715884105728", "170141183460469231731.687303715884105728",
        ] {
            #expect {
                try ExactDecimal(parsing: text)
            } throws: { ($0 as? MoneyError)?.code == .overflow }
        }
    }

    @Test func readsJSONExponentsExactly() throws {
        #expect(try ExactDecimal(parsing: "7.1e-07", allowExponent: true).description == "0.00000071")
        #expect(try ExactDecimal(parsing: "1E+3", allowExponent: true).description == "1000")
        #expect(try ExactDecimal(parsing: "2.5e-17", allowExponent: true) == ExactDecimal(units: 25))
        #expect(throws: MoneyError.self) { try ExactDecimal(parsing: "1e-19", allowExponent: true) }
        #expect(throws: MoneyError.self) { try ExactDecimal(parsing: "1e", allowExponent: true) }
        #expect(throws: MoneyError.self) { try ExactDecimal(parsing: "e5", allowExponent: true) }
        #expect(throws: MoneyError.self) { try ExactDecimal(parsing: "-e5", allowExponent: true) }
    }

    @Test func addsWithoutDrift() throws {
        let a = try ExactDecimal(parsing: "0.1")
        let b = try ExactDecimal(parsing: "0.2")
        #expect(try a + b == ExactDecimal(parsing: "0.3"))
        #expect(try Array(repeating: a, count: 10).sum() == 1)
    }

    @Test func multipliesExactlyOrSaysItCannot() throws {
        #expect(try ExactDecimal(parsing: "0.125") * ExactDecimal(parsing: "0.85") == ExactDecimal(parsing: "0.10625"))
        #expect(try ExactDecimal(1_234_567_891) * ExactDecimal(parsing: "0.125") == ExactDecimal(parsing: "154320986.375"))
        let tiny = try ExactDecimal(parsing: "0.0000000001")
        #expect { try tiny * tiny } throws: { ($0 as? MoneyError)?.code == .inexact }
        #expect(try tiny.multiplied(by: tiny, rounding: .halfAwayFromZero) == .zero)
        #expect(try tiny.multiplied(by: tiny, rounding: .awayFromZero) == ExactDecimal(units: 1))
    }

    @Test func overflowIsAnErrorNotATrap() throws {
        let big = ExactDecimal(units: .max)
        #expect { try big + ExactDecimal(units: 1) } throws: { ($0 as? MoneyError)?.code == .overflow }
        #expect { try ExactDecimal.min - ExactDecimal(units: 1) } throws: { ($0 as? MoneyError)?.code == .overflow }
        #expect(ExactDecimal.min.magnitude == .max)
        #expect(ExactDecimal.max.negated == .min)
        #expect { try big * 2 } throws: { ($0 as? MoneyError)?.code == .overflow }
        #expect { try big.divided(by: try ExactDecimal(parsing: "0.5"), rounding: .halfEven) } throws: {
            ($0 as? MoneyError)?.code == .overflow
        }
        #expect { try ExactDecimal.one.divided(by: .zero, rounding: .halfEven) } throws: {
            ($0 as? MoneyError)?.code == .divisionByZero
        }
    }

    @Test func dividesWithANamedRule() throws {
        let third = try ExactDecimal.one.divided(by: 3, rounding: .halfAwayFromZero)
        #expect(third.description == "0.333333333333333333")
        let twoThirds = try ExactDecimal(2).divided(by: 3, rounding: .halfAwayFromZero)
        #expect(twoThirds.description == "0.666666666666666667")
        #expect(try ExactDecimal(-2).divided(by: 3, rounding: .halfAwayFromZero).description == "-0.666666666666666667")
        #expect(try ExactDecimal(-2).divided(by: 3, rounding: .towardZero).description == "-0.666666666666666666")
    }

    @Test(arguments: [
        // value, rule, places, expected
        ("0.125", RoundingRule.halfAwayFromZero, 2, "0.13"),
        ("-0.125", .halfAwayFromZero, 2, "-0.13"),
        ("0.125", .halfEven, 2, "0.12"),
        ("0.135", .halfEven, 2, "0.14"),
        ("-0.135", .halfEven, 2, "-0.14"),
        ("0.1249999", .halfAwayFromZero, 2, "0.12"),
        ("0.1250001", .halfEven, 2, "0.13"),
        ("0.129", .towardZero, 2, "0.12"),
        ("-0.129", .towardZero, 2, "-0.12"),
        ("0.121", .awayFromZero, 2, "0.13"),
        ("-0.121", .awayFromZero, 2, "-0.13"),
        ("2.5", .halfAwayFromZero, 0, "3"),
        ("2.5", .halfEven, 0, "2"),
        ("-2.5", .halfAwayFromZero, 0, "-3"),
        ("0.0005", .halfAwayFromZero, 3, "0.001"),
        ("154.320986375", .halfAwayFromZero, 2, "154.32"),
        ("99.995", .halfAwayFromZero, 2, "100"),
    ])
    func roundsByNamedRule(value: String, rule: RoundingRule, places: Int, expected: String) throws {
        #expect(try ExactDecimal(parsing: value).rounded(places: places, rule) == ExactDecimal(parsing: expected))
    }

    @Test func formatsFixedPlacesOnlyWhenAlreadyRounded() throws {
        #expect(try ExactDecimal(parsing: "12.5").formatted(places: 2) == "12.50")
        #expect(try ExactDecimal(parsing: "-0.5").formatted(places: 0 + 1) == "-0.5")
        #expect(ExactDecimal(7).formatted(places: 6) == "7.000000")
    }

    @Test func encodesAsJSONStrings() throws {
        let value = try ExactDecimal(parsing: "0.000125")
        let encoded = String(decoding: try JSONEncoderShim.encode([value]), as: UTF8.self)
        #expect(encoded == #"["0.000125"]"#)
    }
}


@Suite("ExactDecimal fused multiply-divide")
struct FusedMultiplyDivideTests {
    @Test func roundsOnceAfterTheFullProduct() throws {
        // 18 × (44 ÷ 18) via a rate would give 43.999999999999999992; fused gives 44.
        #expect(try ExactDecimal(18).multiplied(by: 44, dividedBy: 18, rounding: .halfEven) == 44)
        #expect(try ExactDecimal(1).multiplied(by: 2, dividedBy: 3, rounding: .halfAwayFromZero).description == "0.666666666666666667")
        #expect(try ExactDecimal(-1).multiplied(by: 2, dividedBy: 3, rounding: .halfAwayFromZero).description == "-0.666666666666666667")
        #expect(try ExactDecimal(-1).multiplied(by: -2, dividedBy: -3, rounding: .towardZero).description == "-0.666666666666666666")
        // A product far beyond the range is fine when the quotient fits.
        let big = try ExactDecimal(parsing: "100000000000000000000")
        #expect(try big.multiplied(by: big, dividedBy: big, rounding: .halfEven) == big)
        #expect(throws: MoneyError.self) { try big.multiplied(by: big, dividedBy: 1, rounding: .halfEven) }
        #expect(throws: MoneyError.self) { try big.multiplied(by: 1, dividedBy: .zero, rounding: .halfEven) }
    }
}
