import TallyCore

extension SeededRandom {
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
