/// Daily exchange rates into the reporting currency.
///
/// A cost accruing on day D converts at the latest rate on or before D
/// (SPEC §3). A currency with no rate on or before D is an error naming the
/// currency and the day — never a silent 1.0. The reporting currency itself
/// converts at exactly 1.
public struct FXTable: Sendable {
    public let reportingCurrency: Currency
    /// Per currency, rates sorted by day.
    private var rates: [Currency: [(day: CivilDate, rate: ExactDecimal)]] = [:]

    public init(reportingCurrency: Currency) {
        self.reportingCurrency = reportingCurrency
    }

    public mutating func add(day: CivilDate, currency: Currency, rate: ExactDecimal) {
        var series = rates[currency] ?? []
        let position = series.firstIndex { $0.day > day } ?? series.count
        series.insert((day, rate), at: position)
        rates[currency] = series
    }

    /// Units of the reporting currency for one unit of `currency` on `day`.
    public func rate(_ currency: Currency, on day: CivilDate) throws(CostError) -> ExactDecimal {
        if currency == reportingCurrency { return .one }
        guard let series = rates[currency] else {
            throw CostError(.missingFXRate, "no FX rate for \(currency) on or before \(day) (none loaded for \(currency))")
        }
        // Binary search for the last day ≤ `day`.
        var low = 0
        var high = series.count
        while low < high {
            let mid = (low + high) / 2
            if series[mid].day <= day { low = mid + 1 } else { high = mid }
        }
        guard low > 0 else {
            throw CostError(.missingFXRate, "no FX rate for \(currency) on or before \(day)")
        }
        return series[low - 1].rate
    }
}
