/// A named rule for dropping digits.
///
/// The spec rounds invoice lines and tax **once**, half away from zero, to the
/// currency's minor unit. Naming the rule at every call site makes each place
/// that loses digits visible in review.
public enum RoundingRule: String, Sendable, Hashable, CaseIterable {
    /// Ties go away from zero: 0.125 → 0.13, -0.125 → -0.13. The invoice rule.
    case halfAwayFromZero
    /// Ties go to the even neighbour (banker's rounding): 0.125 → 0.12.
    case halfEven
    /// Drop the digits: toward zero.
    case towardZero
    /// Any remainder rounds away from zero.
    case awayFromZero

    /// Decides whether a truncated magnitude must grow by one unit.
    /// `remainder / divisor` is the dropped fraction, in `0 < … < 1`.
    func roundsAwayFromZero(remainder: UInt128, divisor: UInt128, quotientIsOdd: Bool, negative: Bool) -> Bool {
        switch self {
        case .towardZero:
            return false
        case .awayFromZero:
            return true
        case .halfAwayFromZero, .halfEven:
            // Compare remainder with divisor/2 without overflow: remainder ≥ divisor - remainder.
            let other = divisor - remainder
            if remainder > other { return true }
            if remainder < other { return false }
            return self == .halfAwayFromZero ? true : quotientIsOdd
        }
    }
}
