import Testing
import TallyCore
import TallyTesting

/// Properties checked over thousands of generated values. Each test uses a
/// fixed seed, so a failure names a reproducible case.
@Suite("ExactDecimal properties")
struct ExactDecimalPropertyTests {
    static let cases = 5_000

    @Test func textRoundTripsExactly() throws {
        var random = SeededRandom(seed: 1)
        for _ in 0..<Self.cases {
            let value = random.decimal(integerDigits: 20, places: 18)
            let text = value.description
            #expect(try ExactDecimal(parsing: text) == value, "round trip of \(text)")
            // Padding with zeros and a plus sign changes nothing.
            let padded = (value.isNegative ? "-" : "+") + "000" + value.magnitude.formatted(places: 18) + "000"
            #expect(try ExactDecimal(parsing: padded) == value, "round trip of \(padded)")
        }
    }

    @Test(arguments: RoundingRule.allCases)
    func roundingStaysWithinItsBound(rule: RoundingRule) throws {
        var random = SeededRandom(seed: 2)
        for _ in 0..<Self.cases {
            let value = random.decimal(integerDigits: 15, places: 18)
            let places = Int.random(in: 0...6, using: &random)
            let rounded = value.rounded(places: places, rule)
            let step = ExactDecimal(units: pow10(18 - places))
            let error = try (rounded - value).magnitude
            #expect(rounded.decimalPlaces <= places)
            #expect(error < step, "\(value) → \(rounded) by \(rule)")
            switch rule {
            case .halfAwayFromZero, .halfEven:
                #expect(try error + error <= step, "\(value) → \(rounded) by \(rule) is more than half a step off")
            case .towardZero:
                #expect(rounded.magnitude <= value.magnitude)
            case .awayFromZero:
                #expect(rounded.magnitude >= value.magnitude)
            }
            // Idempotent, and symmetric around zero for the sign-neutral rules.
            #expect(rounded.rounded(places: places, rule) == rounded)
            #expect(value.negated.rounded(places: places, rule) == rounded.negated)
        }
    }

    @Test func addingIsExactCommutativeAndAssociative() throws {
        var random = SeededRandom(seed: 3)
        for _ in 0..<Self.cases {
            let (a, b, c) = (random.decimal(), random.decimal(), random.decimal())
            #expect(try a + b == b + a)
            #expect(try (a + b) + c == a + (b + c))
            #expect(try (a + b) - b == a)
        }
    }

    @Test func multiplicationDistributesOverSums() throws {
        var random = SeededRandom(seed: 4)
        for _ in 0..<Self.cases {
            // Token counts times prices: integers times six-place prices stay exact.
            let a = random.decimal(integerDigits: 8, places: 6)
            let b = random.decimal(integerDigits: 8, places: 6)
            let tokens = ExactDecimal(Int.random(in: 0...1_000_000_000_000, using: &random))
            #expect(try (a + b) * tokens == (a * tokens) + (b * tokens))
        }
    }

    @Test func divisionIsTheInverseOfMultiplicationWithinOneUnit() throws {
        var random = SeededRandom(seed: 5)
        for _ in 0..<Self.cases {
            let a = random.decimal(integerDigits: 10, places: 6)
            var b = random.decimal(integerDigits: 6, places: 3)
            if b.isZero { b = 1 }
            let q = try a.divided(by: b, rounding: .halfEven)
            let back = try q.multiplied(by: b, rounding: .halfEven)
            // |q·b − a| ≤ (½ unit)·|b| + ½ unit
            let slack = try ExactDecimal(units: 1).multiplied(by: b.magnitude, rounding: .awayFromZero) + ExactDecimal(units: 1)
            #expect(try (back - a).magnitude <= slack, "\(a) / \(b)")
        }
    }

    @Test func orderMatchesTheNumbers() throws {
        var random = SeededRandom(seed: 6)
        for _ in 0..<Self.cases {
            let (a, b) = (random.decimal(), random.decimal())
            let difference = try b - a
            #expect((a < b) == (difference.units > 0))
        }
    }
}

func pow10(_ exponent: Int) -> Int128 {
    var value: Int128 = 1
    for _ in 0..<exponent { value *= 10 }
    return value
}
