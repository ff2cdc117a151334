extension CapacityPlan {
    /// Costs usage already summed per slot (by the database).
    ///
    /// Capacity is checked without hourly data where it can be: if the models'
    /// hourly peaks in a slot add up to no more than its capacity, no hour can
    /// exceed it. For the other slots, and for usage of a pool with no
    /// purchase in the period (capacity 0), `hourlyTotals` is asked for the
    /// exact pool totals of the hours in question, and every hour above
    /// capacity is named in the error with its pool and figures.
    public func compute(
        usage: [SlotUsage], hourlyTotals: ([PoolWindow]) throws -> [PoolHourTotal]
    ) throws -> CostLedger {
        var slotUsed = [ExactDecimal](repeating: .zero, count: slots.count)
        var slotUsedCost = [ExactDecimal](repeating: .zero, count: slots.count)
        var slotPeaks = [ExactDecimal](repeating: .zero, count: slots.count)
        var cells: [CellKey: Int] = [:]
        var cellKeys: [CellKey] = []
        var figures: [CostLedger.UsageFigures] = []
        var models: [String: Int] = [:]
        var modelNames: [String] = []
        // Days of pools without capacity that some usage allocates GPUs in.
        var uncovered = Set<PoolWindow>()

        for u in usage {
            guard sites[u.pool.site] != nil else {
                throw CostError(.unknownPool, "usage at \(u.slotStart) is for unknown site '\(u.pool.site)'")
            }
            guard let s = slot(of: u.pool, at: u.slotStart) else {
                if u.gpuHours > .zero {
                    // Summed per day by the database: the hours are looked up below.
                    let day = u.slotStart.date
                    uncovered.insert(PoolWindow(pool: u.pool, from: max(day.startOfDay, period.from),
                                                to: min(day.adding(days: 1).startOfDay, period.to)))
                }
                continue
            }
            let slot = slots[s]
            guard period.hourStart(slot.startHour) == u.slotStart else {
                throw CostError(.unknownPool, "usage of \(u.pool) is summed from \(u.slotStart), which is not the start of a slot")
            }
            // U × K / C = U × (K × 3600) / GPU-seconds, one rounding.
            let usedCost = slot.capacityGPUSeconds > 0
                ? try u.gpuHours.multiplied(
                    by: slot.hourCostTimes3600, dividedBy: ExactDecimal(Int(slot.capacityGPUSeconds)), rounding: .halfEven)
                : .zero
            slotUsed[s] = try slotUsed[s] + u.gpuHours
            slotUsedCost[s] = try slotUsedCost[s] + usedCost
            slotPeaks[s] = try slotPeaks[s] + u.peakGPUs

            let m: Int
            if let known = models[u.model] {
                m = known
            } else {
                m = modelNames.count
                models[u.model] = m
                modelNames.append(u.model)
            }
            let key = CellKey(pool: slot.pool, day: period.dayNumber(ofHour: slot.startHour), model: m)
            let c: Int
            if let known = cells[key] {
                c = known
            } else {
                c = figures.count
                cells[key] = c
                cellKeys.append(key)
                figures.append(CostLedger.UsageFigures())
            }
            figures[c].usedGPUHours = try figures[c].usedGPUHours + u.gpuHours
            figures[c].usedCost = try figures[c].usedCost + usedCost
            figures[c].tokens = figures[c].tokens + u.tokens
        }

        try checkCapacity(slotPeaks: slotPeaks, slotUsed: slotUsed, uncovered: uncovered, hourlyTotals: hourlyTotals)

        // Pool-days from slots (dense: pool × day of period), each pool's idle
        // and use over the period.
        let firstDay = period.dayNumber(ofHour: 0)
        let dayCount = period.dayNumber(ofHour: period.hourCount - 1) - firstDay + 1
        var dense = [CostLedger.PoolDayFigures](repeating: .init(), count: pools.count * dayCount)
        var present = [Bool](repeating: false, count: pools.count * dayCount)
        var dayCostTimes3600 = [ExactDecimal](repeating: .zero, count: pools.count * dayCount)
        var poolIdle = [ExactDecimal](repeating: .zero, count: pools.count)
        var poolUsed = [ExactDecimal](repeating: .zero, count: pools.count)
        var poolUsedCost = [ExactDecimal](repeating: .zero, count: pools.count)
        for (s, slot) in slots.enumerated() {
            let d = slot.pool * dayCount + period.dayNumber(ofHour: slot.startHour) - firstDay
            present[d] = true
            dayCostTimes3600[d] = try dayCostTimes3600[d] + slot.hourCostTimes3600 * ExactDecimal(slot.hours)
            dense[d].capacityGPUSeconds += slot.capacityGPUSeconds * Int64(slot.hours)
            dense[d].spotGPUSeconds += slot.spotGPUSeconds * Int64(slot.hours)
            dense[d].usedGPUHours = try dense[d].usedGPUHours + slotUsed[s]
            dense[d].usedCost = try dense[d].usedCost + slotUsedCost[s]
            poolUsed[slot.pool] = try poolUsed[slot.pool] + slotUsed[s]
            poolUsedCost[slot.pool] = try poolUsedCost[slot.pool] + slotUsedCost[s]
        }
        // A pool's purchase cost is its exact numerator ÷ 3600, rounded once;
        // its idle cost (what use left of it) is split over its days by their
        // exact idle, so each day's figure is within 10⁻¹⁸ units of its own
        // and the days add up to the pool exactly.
        for p in pools.indices {
            let days = ((p * dayCount)..<((p + 1) * dayCount)).filter { present[$0] }
            guard !days.isEmpty else { continue }
            let purchase = try purchaseCostTimes3600[p].divided(by: CostEngine.secondsPerHour, rounding: .halfEven)
            poolIdle[p] = try purchase - poolUsedCost[p]
            // Exact idle of a day, × 3600. Below 0 only by rounding, in a day used in full.
            let dayIdle = try days.map { try max(.zero, dayCostTimes3600[$0] - dense[$0].usedCost * CostEngine.secondsPerHour) }
            let shares = poolIdle[p].isZero
                ? days.map { _ in ExactDecimal.zero }
                : try poolIdle[p].distributed(proportionalTo: try dayIdle.sum() > .zero ? dayIdle : days.map { dayCostTimes3600[$0] })
            for (d, share) in zip(days, shares) {
                dense[d].idleCost = share
                dense[d].purchaseCost = try dense[d].usedCost + share
            }
        }
        // A pool nobody used in the period: all its idle cost is stranded.
        for p in pools.indices where poolUsed[p].isZero {
            for d in (p * dayCount)..<((p + 1) * dayCount) { dense[d].strandedCost = dense[d].idleCost }
        }
        var poolDays: [CostLedger.PoolDay: CostLedger.PoolDayFigures] = [:]
        poolDays.reserveCapacity(dense.count)
        for (d, figures) in dense.enumerated() where present[d] {
            poolDays[CostLedger.PoolDay(pool: pools[d / dayCount], day: CivilDate(daysSinceEpoch: firstDay + d % dayCount))] = figures
        }

        // Entries in a canonical order (day, then model name), so the exact split
        // does not depend on the order the usage arrived in.
        var cellsByPool = [[Int]](repeating: [], count: pools.count)
        for c in cellKeys.indices.sorted(by: {
            (cellKeys[$0].day, modelNames[cellKeys[$0].model]) < (cellKeys[$1].day, modelNames[cellKeys[$1].model])
        }) {
            cellsByPool[cellKeys[c].pool].append(c)
        }
        for p in pools.indices where poolUsed[p] > .zero {
            let entries = cellsByPool[p]
            let shares = try poolIdle[p].distributed(proportionalTo: entries.map { figures[$0].usedGPUHours })
            for (c, share) in zip(entries, shares) {
                figures[c].fullyLoadedCost = try figures[c].usedCost + share
            }
        }

        var ledgerUsage: [CostLedger.Usage: CostLedger.UsageFigures] = [:]
        ledgerUsage.reserveCapacity(cellKeys.count)
        for (c, key) in cellKeys.enumerated() {
            ledgerUsage[CostLedger.Usage(pool: pools[key.pool], day: CivilDate(daysSinceEpoch: key.day), model: modelNames[key.model])] = figures[c]
        }
        return CostLedger(period: period, reportingCurrency: reportingCurrency, sites: sites, poolDays: poolDays, usage: ledgerUsage)
    }

    /// Slots whose peaks could exceed capacity, and days of pools without
    /// capacity that allocate GPUs, get an exact hourly check. Every hour over
    /// capacity is named (the first ``overAllocationsNamed`` of them, in pool
    /// and hour order, then how many more).
    private func checkCapacity(
        slotPeaks: [ExactDecimal], slotUsed: [ExactDecimal], uncovered: Set<PoolWindow>,
        hourlyTotals: ([PoolWindow]) throws -> [PoolHourTotal]
    ) throws {
        let suspects = try slots.indices.filter { try slots[$0].isExceeded(by: slotPeaks[$0]) && slotUsed[$0] > .zero }
        guard !suspects.isEmpty || !uncovered.isEmpty else { return }
        let windows = suspects.map { PoolWindow(pool: pools[slots[$0].pool], from: slotStart(slots[$0]), to: period.hourStart(slots[$0].endHour)) }
            + uncovered.sorted()
        var totals: [PoolHourKey: ExactDecimal] = [:]
        for total in try hourlyTotals(windows) where period.hourIndex(total.hour) != nil {
            let key = PoolHourKey(pool: total.pool, hour: total.hour)
            totals[key] = try (totals[key] ?? .zero) + total.gpus
        }
        var over: [(pool: Pool, hour: UTCTimestamp, used: ExactDecimal, capacity: ExactDecimal)] = []
        for s in suspects {
            let slot = slots[s]
            for h in slot.startHour..<slot.endHour {
                let hour = period.hourStart(h)
                if let used = totals[PoolHourKey(pool: pools[slot.pool], hour: hour)], try slot.isExceeded(by: used) {
                    over.append((pools[slot.pool], hour, used, slot.capacityPerHour))
                }
            }
        }
        for window in uncovered {
            for (key, used) in totals where key.pool == window.pool && key.hour >= window.from && key.hour < window.to && used > .zero {
                over.append((key.pool, key.hour, used, .zero))
            }
        }
        guard !over.isEmpty else { return }
        over.sort { ($0.pool, $0.hour) < ($1.pool, $1.hour) }
        var text = over.prefix(Self.overAllocationsNamed).map {
            "pool \($0.pool) at \($0.hour) allocates \($0.used) GPUs but has capacity \($0.capacity)"
        }.joined(separator: "; ")
        if over.count > Self.overAllocationsNamed {
            text += " (and \(over.count - Self.overAllocationsNamed) more over-allocated pool-hours)"
        }
        throw CostError(.overAllocated, text)
    }

    /// How many over-allocated pool-hours an error lists by name.
    static let overAllocationsNamed = 10

    /// Hourly allocations: summed per slot here, with exact hourly totals for the check.
    public func compute(allocations: some Sequence<Allocation>) throws -> CostLedger {
        let (usage, hourly) = try slotUsage(from: allocations)
        return try compute(usage: usage, hourlyTotals: { _ in hourly })
    }

    /// Sums hourly allocations per (pool, slot, model), with each model's
    /// hourly peak, and the exact pool total of every hour; hours outside the
    /// period are left out.
    public func slotUsage(from allocations: some Sequence<Allocation>) throws -> (usage: [SlotUsage], hourly: [PoolHourTotal]) {
        var sums: [SlotModelKey: (used: ExactDecimal, peak: ExactDecimal, tokens: TokenCounts)] = [:]
        var order: [SlotModelKey] = []
        var hourly: [PoolHourTotal] = []
        var hourlyIndex: [PoolHourKey: Int] = [:]
        for a in allocations {
            guard period.hourIndex(a.hour) != nil else { continue }
            let start = slot(of: a.pool, at: a.hour).map { slotStart(slots[$0]) } ?? a.hour
            let key = SlotModelKey(pool: a.pool, slotStart: start, model: a.model)
            if var entry = sums[key] {
                entry.used = try entry.used + a.gpusUsed
                entry.peak = max(entry.peak, a.gpusUsed)
                entry.tokens = entry.tokens + (a.tokens ?? .zero)
                sums[key] = entry
            } else {
                sums[key] = (a.gpusUsed, a.gpusUsed, a.tokens ?? .zero)
                order.append(key)
            }
            let hk = PoolHourKey(pool: a.pool, hour: a.hour)
            if let i = hourlyIndex[hk] {
                hourly[i] = PoolHourTotal(pool: a.pool, hour: a.hour, gpus: try hourly[i].gpus + a.gpusUsed)
            } else {
                hourlyIndex[hk] = hourly.count
                hourly.append(PoolHourTotal(pool: a.pool, hour: a.hour, gpus: a.gpusUsed))
            }
        }
        let usage = order.map { key in
            let entry = sums[key]!
            return SlotUsage(pool: key.pool, slotStart: key.slotStart, model: key.model, gpuHours: entry.used, peakGPUs: entry.peak, tokens: entry.tokens)
        }
        return (usage, hourly)
    }
}

private struct CellKey: Hashable {
    let pool: Int
    let day: Int
    let model: Int
}

private struct SlotModelKey: Hashable {
    let pool: Pool
    let slotStart: UTCTimestamp
    let model: String
}

private struct PoolHourKey: Hashable {
    let pool: Pool
    let hour: UTCTimestamp
}
