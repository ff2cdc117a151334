import Foundation
import Hummingbird
import TallyCore
import TallyDatabase
import TallyPostgres
import TallyPresentation

/// Invoices (finance or admin; ops reads): list, show in the format the
/// `Accept` header asks for (the CLI's renderers: the same bytes as
/// `tally invoice show --format …`), start a run, finalize a month. Runs and
/// finalizations call the same store functions as `tally invoice`.
struct InvoiceRoutes {
    let environment: ServerEnvironment

    /// Page size of `GET /v1/invoices` when no `limit` is given, and the most allowed.
    static let defaultLimit = 50
    static let maximumLimit = 500

    func register(on router: some RouterMethods<TallyRequestContext>) {
        router.get("/v1/invoices", permission: .invoicesRead) { request, _ in try await list(request) }
        router.get("/v1/invoices/{number}", permission: .invoicesRead) { request, context in
            let number = try context.parameters.require("number")
            let format = try Self.negotiate(request)
            return try await environment.database.run { db in
                let store = InvoiceStore(db)
                if number.hasPrefix("CN-") { return try Self.document(format.render(try store.creditNote(number: number)), format) }
                guard !number.contains("/") else { throw InvoiceError(.notFound, "no invoice '\(number)'") }
                return try Self.document(format.render(try store.invoice(named: number)), format)
            }
        }
        router.get("/v1/customers/{id}/invoices/{period}", permission: .invoicesRead) { request, context in
            let customer = try context.parameters.require("id")
            let period = try BillingMonth(parsing: try context.parameters.require("period"))
            let format = try Self.negotiate(request)
            return try await environment.database.run { db in
                try Self.document(format.render(try InvoiceStore(db).invoice(named: "\(customer)/\(period)")), format)
            }
        }
        router.post("/v1/invoice-runs", permission: .invoicesWrite) { request, context in
            try await run(request, context)
        }
        router.post("/v1/invoices/finalize", permission: .invoicesWrite) { request, context in
            try await finalize(request, context)
        }
    }

    // MARK: list

    func list(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        let period = try query.get("period").map { try BillingMonth(parsing: $0) }
        let customer = query.get("customer")
        let status = try query.get("status").map { text in
            guard let status = Invoice.Status(rawValue: text) else {
                throw Problem.badRequest("input.invalid", "unknown status '\(text)' (draft, finalized, paid or void)")
            }
            return status
        }
        let limit = try query.get("limit").map { text in
            guard let limit = Int(text), (1...Self.maximumLimit).contains(limit) else {
                throw Problem.badRequest("input.invalid", "limit must be a whole number from 1 to \(Self.maximumLimit), got '\(text)'")
            }
            return limit
        } ?? Self.defaultLimit
        let cursor = try query.get("cursor").map { try ListCursor($0) }
        let invoices = try await environment.database.run { db in
            let store = InvoiceStore(db)
            let all = try period.map { try store.invoices(period: $0, customer: customer) } ?? store.allInvoices()
            return all.filter { invoice in
                (customer == nil || invoice.customer.id == customer) && (status == nil || invoice.status == status)
            }.map(Summary.init)
        }
        let sorted = invoices.sorted { ($0.period, $0.customer) < ($1.period, $1.customer) }
        let after = cursor.map { c in sorted.filter { ($0.period, $0.customer) > (c.period, c.customer) } } ?? sorted
        let page = Array(after.prefix(limit))
        let next: JSONValue = after.count > limit ? page.last.map { .text(ListCursor(period: $0.period, customer: $0.customer).text) } ?? .null : .null
        return JSONResponse.make(.object(["invoices": .list(page.map(\.json)), "next_cursor": next]))
    }

    /// One invoice in a list: what finance filters and sums on.
    struct Summary: Sendable {
        var period: String
        var customer: String
        var json: JSONValue

        init(_ invoice: Invoice) {
            period = invoice.period.description
            customer = invoice.customer.id
            json = .object([
                "name": .text(invoice.name), "number": invoice.number.map(JSONValue.text) ?? .null,
                "customer": .text(invoice.customer.id), "period": .text(period), "status": .text(invoice.status.rawValue),
                "currency": .text(invoice.currency.code), "subtotal": .text(invoice.subtotal.exactText),
                "tax_total": .text(invoice.taxTotal.exactText), "total": .text(invoice.total.exactText),
                "issue_date": invoice.issueDate.map { JSONValue.text($0.description) } ?? .null,
                "due_date": invoice.dueDate.map { JSONValue.text($0.description) } ?? .null,
                "paid_on": invoice.paidOn.map { JSONValue.text($0.description) } ?? .null,
            ])
        }
    }

    /// Where a page ends: `YYYY-MM/customer` of its last invoice (lists are
    /// sorted by period, then customer).
    struct ListCursor {
        var period: String
        var customer: String
        var text: String { "\(period)/\(customer)" }

        init(period: String, customer: String) {
            self.period = period
            self.customer = customer
        }

        init(_ text: String) throws {
            guard let slash = text.firstIndex(of: "/"), (try? BillingMonth(parsing: String(text[..<slash]))) != nil else {
                throw Problem.badRequest("input.invalid", "invalid cursor '\(text)' (pass next_cursor of the previous page)")
            }
            period = String(text[..<slash])
            customer = String(text[text.index(after: slash)...])
        }
    }

    // MARK: documents

    /// The format the `Accept` header asks for: JSON (also for none or
    /// `*/*`), HTML, CII XML, CSV or text; 406 for anything else.
    static func negotiate(_ request: Request) throws -> InvoiceDocumentFormat {
        guard let accept = request.headers[.accept], !accept.isEmpty else { return .json }
        let ranges = accept.split(separator: ",").map { part -> (type: String, q: Int) in
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            // q as thousandths: "0.5" → 500 (not money: a preference weight, read exactly as digits).
            var q = 1000
            for piece in pieces.dropFirst() where piece.hasPrefix("q=") {
                let value = piece.dropFirst(2)
                let parts = value.split(separator: ".", maxSplits: 1)
                let whole = Int(parts.first ?? "0") ?? 0
                let fraction = parts.count > 1 ? String(parts[1].prefix(3)).padding(toLength: 3, withPad: "0", startingAt: 0) : "000"
                q = whole * 1000 + (Int(fraction) ?? 0)
            }
            return (pieces.first ?? "", q)
        }
        let known: [(String, InvoiceDocumentFormat)] = [
            ("application/json", .json), ("text/html", .html), ("application/xml", .cii), ("text/xml", .cii), ("text/csv", .csv),
            ("text/plain", .text), ("*/*", .json), ("application/*", .json), ("text/*", .html),
        ]
        for range in ranges.enumerated().sorted(by: { ($0.element.q, -$0.offset) > ($1.element.q, -$1.offset) }).map(\.element)
        where range.q > 0 {
            if let format = known.first(where: { $0.0 == range.type })?.1 { return format }
        }
        throw Problem(status: .notAcceptable, code: "http.not_acceptable",
                      detail: "invoices are served as application/json, text/html, application/xml (CII), text/csv or text/plain")
    }

    static func document(_ text: String, _ format: InvoiceDocumentFormat) -> Response {
        let type = switch format {
        case .json: "application/json"
        case .html: "text/html; charset=utf-8"
        case .cii: "application/xml; charset=utf-8"
        case .csv: "text/csv; charset=utf-8"
        case .text: "text/plain; charset=utf-8"
        }
        return JSONResponse.body(text, contentType: type)
    }

    // MARK: commands

    struct PeriodBody: Decodable {
        var period: String
        var customer: String?
        var date: String?
    }

    func run(_ request: Request, _ context: TallyRequestContext) async throws -> Response {
        let key = try context.require(.invoicesWrite)
        let body = try await JSONResponse.decode(PeriodBody.self, fields: ["period", "customer"], from: request)
        let period = try BillingMonth(parsing: body.period)
        let issuer = try environment.settings.issuer()
        let actor = environment.actor(key)
        let customer = body.customer
        let summary = try await environment.database.run { db in
            try db.transaction {
                let summary = try InvoiceRun(db, issuer: issuer).run(period: period, customer: customer)
                try AuditStore.record(actor.entry(.invoiceRun, target: customer.map { "\(period)/\($0)" } ?? period.description), on: db)
                return summary
            }
        }
        environment.metrics.invoiceRun()
        let totals = summary.totals.sorted { $0.key.code < $1.key.code }.map { currency, figures -> (String, JSONValue) in
            let names = ["subtotal", "credits", "tax", "total"]
            return (currency.code, .object(Dictionary(uniqueKeysWithValues: zip(names, figures.map { JSONValue.text($0.exactText) }))))
        }
        return JSONResponse.make(.object([
            "period": .text(period.description), "customers": .number(summary.customers), "drafts": .number(summary.drafts),
            "skipped_issued": .number(summary.skippedIssued), "totals": .object(Dictionary(uniqueKeysWithValues: totals)),
        ]))
    }

    func finalize(_ request: Request, _ context: TallyRequestContext) async throws -> Response {
        let key = try context.require(.invoicesWrite)
        let body = try await JSONResponse.decode(PeriodBody.self, fields: ["period", "customer", "date"], from: request)
        let period = try BillingMonth(parsing: body.period)
        let issueDate = try body.date.map { try CivilDate(parsing: $0) } ?? environment.settings.clock.today
        let issuer = try environment.settings.issuer()
        let actor = environment.actor(key)
        let customer = body.customer
        let numbers = try await environment.database.run { db in
            try InvoiceStore(db).finalize(period: period, customer: customer, issuer: issuer, issueDate: issueDate, audit: actor)
        }
        return JSONResponse.make(.object([
            "period": .text(period.description), "issue_date": .text(issueDate.description), "finalized": .list(numbers.map(JSONValue.text)),
        ]))
    }
}
