import TallyCore

/// Token sums per (customer, hour, model, site, tag, billing month) of the events
/// inserted, kept in memory while they stream to the database and then
/// upserted into `usage_hourly`. Names are ``ByteStringTable`` indices.
struct HourlyRollup {
    struct Key: Hashable {
        var customer: Int32
        var model: Int32
        var site: Int32
        var tag: Int32
        /// Hours since the epoch (UTC).
        var hour: Int64
        /// The month whose invoice bills these events (later than the hour's
        /// month for late usage).
        var billingMonth: CivilDate
    }

    struct Sums {
        var input: Int64 = 0
        var cachedInput: Int64 = 0
        var output: Int64 = 0
        var events: Int64 = 0
    }

    private(set) var groups: [Key: Sums] = [:]
    /// Events counted whose month was closed.
    private(set) var lateEvents = 0

    var count: Int { groups.count }

    mutating func add(_ key: Key, input: Int64, cachedInput: Int64, output: Int64, late: Bool) {
        groups[key, default: Sums()].add(Sums(input: input, cachedInput: cachedInput, output: output, events: 1))
        if late { lateEvents += 1 }
    }

    mutating func merge(_ other: HourlyRollup) {
        if groups.isEmpty {
            groups = other.groups
        } else {
            for (key, sums) in other.groups { groups[key, default: Sums()].add(sums) }
        }
        lateEvents += other.lateEvents
    }

    mutating func removeAll() {
        groups.removeAll()
    }
}

extension HourlyRollup.Sums {
    // Token counts are bounded per event (UsageEvent.maximumTokensPerClass) and
    // a sum of Int64.max / 1e8 events is beyond any input, so these cannot overflow.
    mutating func add(_ other: Self) {
        input += other.input
        cachedInput += other.cachedInput
        output += other.output
        events += other.events
    }
}
