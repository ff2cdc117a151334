import TallyCore
import TallyPostgres

extension InvoiceRun {
    /// Prices the month of every customer the run would invoice, except
    /// `excluded`, exactly as the run would, and writes nothing.
    ///
    /// Margin reports use it for customers that have no invoice for the
    /// period yet: the same plan, the same rater and the same builder as
    /// ``run(period:customer:progress:)``, so the rated amount is the draft
    /// the run would write. Every pricing or tax gap is reported at once.
    public func preview(period: BillingMonth, excluding excluded: Set<String>) throws -> [Invoice] {
        var timer = PhaseTimer()
        let plan = try prepare(period: period, customer: nil, timer: &timer)
        var invoices: [Invoice] = []
        var problems: [String] = []
        for id in plan.ids where !excluded.contains(id) {
            switch Self.outcome(customer: id, plan: plan, issuer: issuer) {
            case .invoice(let invoice): invoices.append(invoice)
            case .problems(let found): problems += found
            case .failed(let error): throw error
            }
        }
        guard problems.isEmpty else { throw Gaps(problems: problems) }
        return invoices
    }
}
