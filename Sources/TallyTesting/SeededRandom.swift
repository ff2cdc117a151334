import TallyCore

/// A reproducible random source (SplitMix64) for property tests: a failing
/// case can be replayed from its seed.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        self.state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A decimal with up to `places` fraction digits and magnitude below
    /// 10^`integerDigits`; small, large and boundary-ish values all appear.
    public mutating func decimal(integerDigits: Int = 12, places: Int = 18) -> ExactDecimal {
        let digits = Int.random(in: 0...integerDigits, using: &self)
        let fraction = Int.random(in: 0...places, using: &self)
        var units: Int128 = 0
        for _ in 0..<(digits + fraction) { units = units * 10 + Int128(Int.random(in: 0...9, using: &self)) }
        for _ in 0..<(ExactDecimal.scale - fraction) { units *= 10 }
        return ExactDecimal(units: Bool.random(using: &self) ? -units : units)
    }
}
