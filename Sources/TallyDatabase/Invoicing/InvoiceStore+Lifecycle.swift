import TallyCore
import TallyPostgres

/// draft → finalized → paid | void, numbering and credit notes (SPEC §5).
extension InvoiceStore {
    /// Finalizes the drafts of `period` (all customers, or one): rebuilds
    /// them first, so what is frozen includes every event ingested until now,
    /// then gives each a number, in customer order, and freezes it. All in
    /// one transaction holding the invoice lock and the closing lock (no
    /// ingest can add usage to these months meanwhile; later events are late
    /// usage for the next open invoice). Finalizing the whole period also
    /// closes the month for supply changes. Returns the numbers given.
    ///
    /// The issue date must be on or after the first day after the period (an
    /// invoice in arrears is issued once its month is over) and on or after the
    /// issue date of the last invoice of its number series (numbers run in date
    /// order); otherwise nothing is written. With `audit`, records
    /// `invoice.finalize` in the same transaction (see ``AuditStore``).
    @discardableResult
    public func finalize(
        period: BillingMonth, customer: String? = nil, issuer: Issuer, issueDate: CivilDate, audit: AuditActor? = nil
    ) throws -> [String] {
        guard issueDate >= period.next.firstDay else {
            throw InvoiceError(.date, """
                issue date \(issueDate) is before the end of \(period): invoices of \(period) are issued on \
                \(period.next.firstDay) or later
                """)
        }
        return try db.transaction {
            try db.execute("SELECT pg_advisory_xact_lock(hashtext(\(InvoiceRun.lock)))")
            try db.execute("SELECT pg_advisory_xact_lock(hashtext(\(UsageIngester.closingLock)))")
            try checkSeriesOrder(kind: "INV", issuer: issuer.id, date: issueDate)
            let drafts = try InvoiceRun(db, issuer: issuer).writeDrafts(period: period, customer: customer, progress: nil).drafts
            var numbers: [String] = []
            let dueDate = issueDate.adding(days: issuer.paymentTermsDays)
            for draft in drafts.sorted(by: { $0.customer.id < $1.customer.id }) {
                let number = try nextNumber(kind: "INV", issuer: issuer.id, date: issueDate)
                try db.execute(
                    """
                    UPDATE invoices SET status = 'finalized', number = \(number), issue_date = \(issueDate), due_date = \(dueDate)
                    WHERE customer_id = \(draft.customer.id) AND period = \(period.firstDay) AND status = 'draft'
                    """)
                numbers.append(number)
            }
            // Card versions an issued invoice used may no longer change.
            for row in try db.execute(
                """
                SELECT l.card, l.version FROM invoices i, json_to_recordset(i.lines) AS l(card text, version timestamptz)
                WHERE i.number = ANY(\(numbers))
                UNION SELECT l.base_card, l.base_version
                FROM invoices i, json_to_recordset(i.lines) AS l(base_card text, base_version timestamptz)
                WHERE i.number = ANY(\(numbers)) AND l.base_card IS NOT NULL
                """)
            {
                try RateCardStore(db).lock(card: try row.decode(0), version: try row.decode(1), reason: "used by issued invoices of \(period)")
            }
            if customer == nil {
                try db.execute(
                    """
                    INSERT INTO closed_periods (month, reason) VALUES (\(period.firstDay), 'invoices finalized')
                    ON CONFLICT (month) DO NOTHING
                    """)
            }
            try AuditStore.record(
                audit, .invoiceFinalize, target: customer.map { "\(period)/\($0)" } ?? period.description,
                details: ["issue_date": issueDate.description, "numbers": numbers.joined(separator: ",")], on: db)
            return numbers
        }
    }

    /// Refuses a document dated before the last one of its number series
    /// (issuer, kind, year of `date`). Call it under the invoice lock, before
    /// taking numbers, so the check and the numbers see the same series.
    func checkSeriesOrder(kind: String, issuer: String, date: CivilDate) throws {
        let last = try db.execute(
            """
            SELECT last_issue_date FROM document_sequences WHERE issuer = \(issuer) AND kind = \(kind) AND year = \(date.year)
            """
        ).first.flatMap { try $0.decode(0, as: CivilDate?.self) }
        if let last, date < last {
            throw InvoiceError(.date, """
                issue date \(date) is before \(last), the issue date of the last \(kind)-\(CivilDate.pad(date.year, 4)) document: \
                numbers run in date order, so date it \(last) or later
                """)
        }
    }

    /// The next gapless number of a kind for an issuer and the year of `date`,
    /// taken in the caller's transaction: the counter row stays locked until it
    /// ends, and a rollback gives the number back. Records `date` as the
    /// series' last issue date (see ``checkSeriesOrder(kind:issuer:date:)``).
    func nextNumber(kind: String, issuer: String, date: CivilDate) throws -> String {
        let year = date.year
        let n = try db.scalar(
            """
            INSERT INTO document_sequences (issuer, kind, year, last_number, last_issue_date)
            VALUES (\(issuer), \(kind), \(year), 1, \(date))
            ON CONFLICT (issuer, kind, year) DO UPDATE SET last_number = document_sequences.last_number + 1,
                last_issue_date = greatest(document_sequences.last_issue_date, excluded.last_issue_date)
            RETURNING last_number
            """, as: Int.self)
        return "\(kind)-\(CivilDate.pad(year, 4))-\(CivilDate.pad(n, 6))"
    }

    /// Records a payment. The date must fall between the invoice's issue date
    /// and `today` (a payment not yet received is not recorded).
    /// With `audit`, records `invoice.payment` in the same transaction.
    public func markPaid(number: String, on date: CivilDate, today: CivilDate = TallyClock.current.today, audit: AuditActor? = nil) throws {
        try db.transaction {
            let invoice = try invoice(named: number)
            guard invoice.status == .finalized else {
                throw InvoiceError(.state, "\(invoice.name) is \(invoice.status.rawValue): only a finalized invoice can be marked paid")
            }
            guard let issued = invoice.issueDate, date >= issued else {
                throw InvoiceError(.date, "\(number) was issued on \(invoice.issueDate?.description ?? "?"); it cannot be paid on \(date)")
            }
            guard date <= today else {
                throw InvoiceError(.date, "payment date \(date) is after today (\(today)): record a payment once it has been received")
            }
            try db.execute("UPDATE invoices SET status = 'paid', paid_on = \(date) WHERE number = \(number)")
            try AuditStore.record(audit, .invoicePayment, target: number, details: ["paid_on": date.description], on: db)
        }
    }

    /// Voids an issued invoice with a credit note for all of it (its credits
    /// go back to their grants). With `audit`, records `invoice.void` in the
    /// same transaction.
    public func void(number: String, reason: String, on date: CivilDate, audit: AuditActor? = nil) throws -> CreditNote {
        try db.transaction {
            try db.execute("SELECT pg_advisory_xact_lock(hashtext(\(InvoiceRun.lock)))")
            let invoice = try invoice(named: number)
            // Checked here, not left to the table's status/paid_on check: the user gets the way forward, not a row.
            guard invoice.status != .paid else {
                throw InvoiceError(.state, """
                    \(number) is paid: a paid invoice cannot be voided; refund it with a credit note \
                    (tally invoice credit-note \(number) --lines 1,2,… --reason …)
                    """)
            }
            guard try creditNotes(of: number).isEmpty else {
                throw InvoiceError(.state, "\(number) already has credit notes; credit what is left of its lines with credit-note instead")
            }
            try checkCreditNoteDate(date, of: invoice)
            let note = try CreditNote.build(
                for: invoice, number: try nextNumber(kind: "CN", issuer: invoice.issuer.id, date: date), issueDate: date,
                reason: reason, credited: nil)
            try save(note, isVoid: true)
            try db.execute("UPDATE invoices SET status = 'void', void_reason = \(reason) WHERE number = \(number)")
            try AuditStore.record(
                audit, .invoiceVoid, target: number, details: ["credit_note": note.number, "reason": reason, "issue_date": date.description],
                on: db)
            return note
        }
    }

    /// A partial credit note: `lines` maps invoice line numbers to the amount
    /// credited (nil: what is left of the line). With `audit`, records
    /// `invoice.credit_note` in the same transaction.
    public func creditNote(
        number: String, lines: [Int: Money?], reason: String, on date: CivilDate, audit: AuditActor? = nil
    ) throws -> CreditNote {
        try db.transaction {
            try db.execute("SELECT pg_advisory_xact_lock(hashtext(\(InvoiceRun.lock)))")
            let invoice = try invoice(named: number)
            var already: [Int: Money] = [:]
            for note in try creditNotes(of: number) {
                for line in note.lines { already[line.invoiceLine] = try (already[line.invoiceLine] ?? .zero(invoice.currency)) + line.amount }
            }
            var credited: [Int: Money] = [:]
            for (line, amount) in lines {
                if let amount {
                    credited[line] = amount
                } else if let invoiceLine = invoice.lines.first(where: { $0.number == line }) {
                    credited[line] = try invoiceLine.amount - (already[line] ?? .zero(invoice.currency))
                } else {
                    throw InvoiceError(.notFound, "\(number) has no line \(line) (it has \(invoice.lines.count))")
                }
            }
            try checkCreditNoteDate(date, of: invoice)
            let note = try CreditNote.build(
                for: invoice, number: try nextNumber(kind: "CN", issuer: invoice.issuer.id, date: date), issueDate: date,
                reason: reason, credited: credited, alreadyCredited: already)
            try save(note, isVoid: false)
            try AuditStore.record(
                audit, .invoiceCreditNote, target: number,
                details: [
                    "credit_note": note.number, "reason": reason, "issue_date": date.description,
                    "lines": note.lines.map { "\($0.invoiceLine)=\($0.amount.amount)" }.joined(separator: ","),
                ], on: db)
            return note
        }
    }

    /// A credit note is dated on or after the invoice it corrects, and in the
    /// date order of its own number series.
    private func checkCreditNoteDate(_ date: CivilDate, of invoice: Invoice) throws {
        if let issued = invoice.issueDate, date < issued {
            throw InvoiceError(.date, "\(invoice.name) was issued on \(issued); a credit note for it cannot be dated \(date)")
        }
        try checkSeriesOrder(kind: "CN", issuer: invoice.issuer.id, date: date)
    }

    private func save(_ note: CreditNote, isVoid: Bool) throws {
        try db.execute(
            """
            INSERT INTO credit_notes (number, customer_id, period, invoice_number, issue_date, reason, is_void, credits_returned,
                                      net, tax_total, total)
            VALUES (\(note.number), \(note.customer.id), \(note.period.firstDay), \(note.invoiceNumber), \(note.issueDate), \(note.reason),
                    \(isVoid), \(note.creditsReturned.amount), \(note.net.amount), \(note.taxTotal.amount), \(note.total.amount))
            """)
        for line in note.lines {
            try db.execute(
                """
                INSERT INTO credit_note_lines (number, invoice_line, description, amount)
                VALUES (\(note.number), \(line.invoiceLine), \(line.description), \(line.amount.amount))
                """)
        }
        for tax in note.taxes {
            try db.execute(
                """
                INSERT INTO credit_note_taxes (number, category, name, percent, base, amount)
                VALUES (\(note.number), \(tax.category.rawValue), \(tax.name), \(tax.percent), \(tax.base.amount), \(tax.amount.amount))
                """)
        }
    }

    /// The credit notes of an invoice, in number order.
    public func creditNotes(of invoiceNumber: String) throws -> [CreditNote] {
        try db.execute("SELECT number FROM credit_notes WHERE invoice_number = \(invoiceNumber) ORDER BY number").map {
            try creditNote(number: try $0.decode(0))
        }
    }

    public func creditNote(number: String) throws -> CreditNote {
        let rows = try db.execute(
            """
            SELECT invoice_number, issue_date, reason, credits_returned, net, tax_total, total FROM credit_notes WHERE number = \(number)
            """)
        guard let row = rows.first else { throw InvoiceError(.notFound, "no credit note '\(number)'") }
        let invoice = try invoice(named: try row.decode(0))
        let currency = invoice.currency
        let lines = try db.execute(
            "SELECT invoice_line, description, amount FROM credit_note_lines WHERE number = \(number) ORDER BY invoice_line"
        ).map { CreditNote.Line(invoiceLine: try $0.decode(0), description: try $0.decode(1), amount: Money(try $0.decode(2), currency)) }
        let taxes = try db.execute(
            "SELECT category, name, percent, base, amount FROM credit_note_taxes WHERE number = \(number) ORDER BY category, percent"
        ).map {
            InvoiceTax(category: TaxCategory(rawValue: try $0.decode(0)) ?? .standard, name: try $0.decode(1), percent: try $0.decode(2),
                       base: Money(try $0.decode(3), currency), amount: Money(try $0.decode(4), currency))
        }
        return CreditNote(
            number: number, invoiceNumber: invoice.number ?? "", issueDate: try row.decode(1), reason: try row.decode(2),
            issuer: invoice.issuer, customer: invoice.customer, period: invoice.period, currency: currency, lines: lines,
            creditsReturned: Money(try row.decode(3), currency), net: Money(try row.decode(4), currency), taxes: taxes,
            taxTotal: Money(try row.decode(5), currency), total: Money(try row.decode(6), currency))
    }
}
