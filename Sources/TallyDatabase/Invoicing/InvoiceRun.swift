import TallyCore
import TallyPostgres

/// `tally invoice run`: builds or rebuilds the draft invoices of a month.
///
/// Reads everything it needs in a few set-based queries (``InvoicePlanner``).
/// Then it prices every customer in memory, reports every pricing or tax
/// gap at once (writing nothing), and replaces the period's drafts in one
/// transaction. Issued invoices are never touched; running it again gives
/// the same drafts.
public struct InvoiceRun {
    public struct Summary: Sendable, Equatable {
        public var customers = 0
        public var drafts = 0
        /// Issued invoices of the period left as they are.
        public var skippedIssued = 0
        /// Per currency: subtotal, credits, tax, total.
        public var totals: [Currency: [Money]] = [:]
    }

    /// Everything that stops a run, all at once.
    public struct Gaps: Error, CustomStringConvertible {
        public let problems: [String]
        public var description: String {
            (["\(problems.count) problem(s); no draft was written:"] + problems.map { "  " + $0 }).joined(separator: "\n")
        }
    }

    /// Serializes runs and finalizations (drafts are replaced as a set).
    static let lock = "tally.invoices"

    let db: PostgresConnection
    let issuer: Issuer

    public init(_ db: PostgresConnection, issuer: Issuer) {
        self.db = db
        self.issuer = issuer
    }

    /// Builds the drafts of `period` (one customer or all) and writes them.
    /// `progress(done, total)` is called as customers are priced.
    @discardableResult
    public func run(period: BillingMonth, customer: String? = nil, progress: ((Int, Int) -> Void)? = nil) throws -> Summary {
        try writeDrafts(period: period, customer: customer, progress: progress).summary
    }

    /// Builds and writes the drafts, in the caller's transaction if there is
    /// one (finalization numbers exactly the drafts it just wrote).
    func writeDrafts(
        period: BillingMonth, customer: String?, progress: ((Int, Int) -> Void)?
    ) throws -> (drafts: [Invoice], summary: Summary) {
        var timer = PhaseTimer()
        defer { timer.report() }
        return try db.transaction {
            try db.execute("SELECT pg_advisory_xact_lock(hashtext(\(Self.lock)))")
            // Everything is read first: no query can run while the drafts stream in by COPY.
            let plan = try InvoicePlanner(db).prepare(period: period, customers: customer.map { [$0] }, timer: &timer)
            // Pricing starts now, so it also overlaps the deletion of the old drafts.
            let pricing = startPricing(plan)
            var invoices: [Invoice] = []
            var summary = Summary()
            do {
                try InvoiceStore(db).replaceDrafts(period: period, customer: customer) { write in
                    summary = try collect(pricing, plan: plan, progress: progress, timer: &timer) { invoice in
                        try write(invoice)
                        invoices.append(invoice)
                    }
                }
            } catch {
                pricing.cancel()
                throw error
            }
            timer.lap("write")
            return (invoices, summary)
        }
    }

    /// A customer's draft, or why it cannot be built.
    enum Outcome: Sendable {
        case invoice(Invoice)
        /// Pricing gaps, a missing tax rate: reported with the others.
        case problems([String])
        /// Anything else stops the run.
        case failed(any Error)
    }

    /// Prices every customer of the plan on a background thread, in chunks.
    private func startPricing(_ plan: InvoicePlanner.Plan) -> BackgroundProducer<[Outcome]> {
        let issuer = self.issuer
        // 64 chunks of 64 drafts: enough to keep pricing while the old drafts are deleted.
        return BackgroundProducer<[Outcome]>(capacity: 64) { deliver in
            var chunk: [Outcome] = []
            for id in plan.ids {
                chunk.append(Self.outcome(customer: id, plan: plan, issuer: issuer))
                if chunk.count == 64 {
                    guard deliver(chunk) else { return }
                    chunk = []
                }
            }
            if !chunk.isEmpty { _ = deliver(chunk) }
        }
    }

    /// Hands each draft the pricing thread built to `emit` (nothing more once
    /// a problem is found); throws every problem at once at the end, which
    /// aborts the caller's write.
    private func collect(
        _ pricing: BackgroundProducer<[Outcome]>, plan: InvoicePlanner.Plan, progress: ((Int, Int) -> Void)?, timer: inout PhaseTimer,
        emit: (Invoice) throws -> Void
    ) throws -> Summary {
        var summary = Summary()
        summary.skippedIssued = plan.skippedIssued
        var problems: [String] = []
        var done = 0
        while let chunk = pricing.next() {
            for outcome in chunk {
                switch outcome {
                case .invoice(let invoice):
                    if problems.isEmpty { try emit(invoice) }
                    summary.drafts += 1
                    let figures = [invoice.subtotal, invoice.creditsTotal, invoice.taxTotal, invoice.total]
                    if let current = summary.totals[invoice.currency] {
                        summary.totals[invoice.currency] = try zip(current, figures).map { try $0 + $1 }
                    } else {
                        summary.totals[invoice.currency] = figures
                    }
                case .problems(let found):
                    problems += found
                case .failed(let error):
                    throw error
                }
                done += 1
                if done % 500 == 0 { progress?(done, plan.ids.count) }
            }
        }
        progress?(plan.ids.count, plan.ids.count)
        timer.lap("pricing and streaming")
        guard problems.isEmpty else { throw Gaps(problems: problems) }
        summary.customers = plan.ids.count
        return summary
    }

    /// One customer's draft (pure: reads only the plan).
    static func outcome(customer id: String, plan: InvoicePlanner.Plan, issuer: Issuer) -> Outcome {
        guard let customer = plan.customers[id] else { return .problems(["\(id): usage for a customer that does not exist"]) }
        do {
            let months = try InvoicePlanner.rate(customer, plan: plan)
            let tax = plan.taxes.rate(country: customer.country, on: InvoiceBuilder.taxDate(plan.period))
            return .invoice(try InvoiceBuilder.build(
                issuer: issuer, customer: customer, period: plan.period, usage: months, credits: plan.credits[id] ?? [], tax: tax,
                tagUsage: plan.usage.tags[id] ?? []))
        } catch let error as RatingError where !error.gaps.isEmpty {
            return .problems(error.gaps.map { "\(id): \($0)" })
        } catch let error as InvoiceError {
            return .problems([error.message])
        } catch let error as RatingError {
            return .problems(["\(id): \(error.message)"])
        } catch {
            return .failed(error)
        }
    }
}
