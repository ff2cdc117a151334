import TallyCore
import TallyPostgres

extension InvoicePlanner {
    /// A customer's month as the invoice run would rate it, before credits and tax.
    struct RatedCustomer: Sendable {
        let customer: Customer
        /// Per usage month (late months included), as the invoice would show them.
        let months: [InvoiceBuilder.MonthLines]

        /// Σ of the rated lines (each rounded once): the invoice's subtotal.
        func subtotal() throws -> Money {
            try months.flatMap(\.lines).map(\.amount).sum(in: customer.currency)
        }
    }

    /// Rates the month of `customers` exactly as the run would, and writes
    /// nothing.
    ///
    /// Margin reports use it for customers that have no invoice for the
    /// period yet: the same plan and rater as ``InvoiceRun/run(period:customer:progress:)``,
    /// so the lines are the draft's lines, and only those customers' usage is
    /// read. Credits and tax are not applied (revenue is before both), so a
    /// missing tax rate does not stop it; a pricing gap does, every one
    /// reported at once.
    func preview(period: BillingMonth, customers: [String]) throws -> [RatedCustomer] {
        var timer = PhaseTimer()
        let plan = try prepare(period: period, customers: customers, timer: &timer)
        var rated: [RatedCustomer] = []
        var problems: [String] = []
        for id in plan.ids {
            guard let customer = plan.customers[id] else {
                problems.append("\(id): usage for a customer that does not exist")
                continue
            }
            do {
                rated.append(RatedCustomer(customer: customer, months: try Self.rate(customer, plan: plan)))
            } catch let error as RatingError where !error.gaps.isEmpty {
                problems += error.gaps.map { "\(id): \($0)" }
            } catch let error as RatingError {
                problems.append("\(id): \(error.message)")
            }
        }
        guard problems.isEmpty else { throw InvoiceRun.Gaps(problems: problems) }
        return rated
    }
}
