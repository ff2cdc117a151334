extension ExactDecimal {
    /// Splits `self` into parts proportional to `weights` that add up to
    /// `self` exactly, to the last 10⁻¹⁸ unit.
    ///
    /// Cost allocation must conserve money: fully loaded + stranded = purchase
    /// cost. Rounding each share on its own could lose or invent a unit, so
    /// each share is rounded toward zero and the few leftover units (fewer than
    /// one per share) go one at a time to the largest weights (ties: earlier
    /// index). The split is exact and deterministic. Weights must be ≥ 0 with a
    /// positive sum; anything else throws (there is no share to give).
    public func distributed(proportionalTo weights: [ExactDecimal]) throws(MoneyError) -> [ExactDecimal] {
        let total = try weights.sum()
        guard total > .zero, !weights.contains(where: \.isNegative) else {
            throw MoneyError(.divisionByZero, "cannot split \(self) by weights \(weights): they must be ≥ 0 with a positive sum")
        }
        var shares: [ExactDecimal] = []
        shares.reserveCapacity(weights.count)
        var assigned = ExactDecimal.zero
        for weight in weights {
            let down = try multiplied(by: weight, dividedBy: total, rounding: .towardZero)
            shares.append(down)
            assigned = try assigned + down
        }
        var left = try self - assigned
        let unit = ExactDecimal(units: isNegative ? -1 : 1)
        let order = weights.indices.filter { weights[$0] > .zero }.sorted { (weights[$0], -$0) > (weights[$1], -$1) }
        var i = 0
        while !left.isZero {
            let index = order[i % order.count]
            shares[index] = try shares[index] + unit
            left = try left - unit
            i += 1
        }
        return shares
    }
}
