import TallyCore
import TallyPostgres

/// Reads what a month's margin report is computed from (``MarginFacts``),
/// in one repeatable-read snapshot so revenue, usage and cost agree.
///
/// - cost: the cost engine's ledger of the month (``SupplyStore/ledger(for:)``);
/// - revenue: the invoice lines of the period's invoices that are not void,
///   summed per customer, model and class in SQL (`json_to_recordset` over
///   `invoices.lines`), with the headers' subtotals read separately so the
///   report can check they agree;
/// - customers with usage billed in the period and no invoice row: priced as
///   the invoice run would (``InvoicePlanner/preview(period:customers:)``), nothing written;
/// - served tokens per customer, model, site and UTC day from `usage_hourly`.
public struct MarginStore {
    let db: PostgresConnection

    public init(_ db: PostgresConnection) {
        self.db = db
    }

    public func facts(for period: BillingMonth) throws -> MarginFacts {
        try db.transaction(.repeatableRead) {
            let supply = SupplyStore(db)
            let costPeriod = CostPeriod(month: period)
            let ledger = try supply.ledger(for: costPeriod)
            let fx = try supply.fxTable(for: costPeriod, reportingCurrency: ledger.reportingCurrency)
            let weights = try supply.computeWeights()

            var documents: [RevenueDocument] = []
            var voided: [RevenueDocument] = []
            for row in try db.execute(
                """
                SELECT customer_id, number, currency, subtotal, status FROM invoices
                WHERE period = \(period.firstDay) ORDER BY customer_id
                """)
            {
                let customer = try row.decode(0, as: String.self)
                let number = try row.decode(1, as: String?.self)
                let status = try row.decode(4, as: String.self)
                let document = RevenueDocument(
                    customer: customer, name: number ?? "\(customer)/\(period)",
                    subtotal: Money(try row.decode(3), try row.decode(2, as: Currency.self)), invoiced: true,
                    isDraft: status == Invoice.Status.draft.rawValue)
                if status == Invoice.Status.void.rawValue {
                    voided.append(document)
                } else {
                    documents.append(document)
                }
            }
            var revenue: [RevenueLine] = []
            for row in try db.execute(
                """
                SELECT i.customer_id, i.currency, l.model, l.class, l.usage_month, sum(l.amount::numeric)
                FROM invoices i, json_to_recordset(i.lines) AS l(model text, class text, usage_month text, amount text)
                WHERE i.period = \(period.firstDay) AND i.status <> 'void'
                GROUP BY 1, 2, 3, 4, 5
                """)
            {
                let name = try row.decode(3, as: String.self)
                guard let tokenClass = TokenClass(rawValue: name) else {
                    throw MarginError(.invalidInput, "invoice line of \(try row.decode(0, as: String.self)) has unknown token class '\(name)'")
                }
                let usageMonth = try BillingMonth(parsing: try row.decode(4, as: String.self))
                revenue.append(RevenueLine(
                    customer: try row.decode(0), model: try row.decode(2), tokenClass: tokenClass,
                    amount: Money(try row.decode(5), try row.decode(1, as: Currency.self)), invoiced: true,
                    lateMonth: usageMonth == period ? nil : usageMonth))
            }
            // Each invoice's lines must add up to its own subtotal (a per-currency
            // check alone would let two wrong invoices cancel out).
            let unbalanced = try db.execute(
                """
                SELECT coalesce(i.number, i.customer_id || '/' || to_char(i.period, 'YYYY-MM')), i.subtotal, s.lines
                FROM invoices i
                CROSS JOIN LATERAL (SELECT coalesce(sum(l.amount::numeric), 0) AS lines FROM json_to_recordset(i.lines) AS l(amount text)) s
                WHERE i.period = \(period.firstDay) AND i.status <> 'void' AND i.subtotal <> s.lines
                ORDER BY 1
                """
            ).map { "\(try $0.decode(0, as: String.self)): subtotal \(try $0.decode(1, as: ExactDecimal.self)), lines \(try $0.decode(2, as: ExactDecimal.self))" }
            guard unbalanced.isEmpty else {
                throw MarginError(.reconciliation, "invoice lines do not add up to their subtotal: " + unbalanced.joined(separator: "; "))
            }

            // Customers with usage billed in the period and no invoice row (a void one counts: billed, then reversed).
            let uninvoiced = try db.execute(
                """
                SELECT DISTINCT customer_id FROM usage_hourly WHERE billing_month = \(period.firstDay)
                EXCEPT SELECT customer_id FROM invoices WHERE period = \(period.firstDay)
                """
            ).map { try $0.decode(0, as: String.self) }
            if !uninvoiced.isEmpty {
                for rated in try InvoicePlanner(db).preview(period: period, customers: uninvoiced) {
                    let lines = rated.months.flatMap(\.lines)
                    guard !lines.isEmpty else { continue }
                    let id = rated.customer.id
                    documents.append(RevenueDocument(
                        customer: id, name: "\(id)/\(period) (rated)", subtotal: try rated.subtotal(), invoiced: false))
                    for month in rated.months {
                        var sums: [String: [TokenClass: Money]] = [:]
                        for line in month.lines {
                            let current = sums[line.model]?[line.tokenClass] ?? Money(.zero, rated.customer.currency)
                            sums[line.model, default: [:]][line.tokenClass] = try current + line.amount
                        }
                        for (model, classes) in sums.sorted(by: { $0.key < $1.key }) {
                            for (tokenClass, amount) in classes.sorted(by: { $0.key < $1.key }) {
                                revenue.append(RevenueLine(
                                    customer: id, model: model, tokenClass: tokenClass, amount: amount, invoiced: false,
                                    lateMonth: month.month == period ? nil : month.month))
                            }
                        }
                    }
                }
            }

            let served = try db.execute(
                """
                SELECT customer_id, model, site_id, (hour AT TIME ZONE 'UTC')::date,
                       sum(input_tokens)::bigint, sum(cached_input_tokens)::bigint, sum(output_tokens)::bigint
                FROM usage_hourly
                -- billing_month >= the hour's month always (a table check): lets the planner use usage_hourly_billing.
                WHERE billing_month >= \(period.firstDay) AND hour >= \(period.start) AND hour < \(period.end)
                GROUP BY 1, 2, 3, 4
                """
            ).map { row in
                ServedTokens(
                    customer: try row.decode(0), model: try row.decode(1), site: try row.decode(2), day: try row.decode(3),
                    tokens: TokenCounts(input: try row.decode(4), cachedInput: try row.decode(5), output: try row.decode(6)))
            }
            return MarginFacts(
                period: period, ledger: ledger, documents: documents, revenue: revenue, served: served, weights: weights, fx: fx,
                voided: voided)
        }
    }
}
