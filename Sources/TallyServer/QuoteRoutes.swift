import Foundation
import Hummingbird
import TallyCore
import TallyDatabase
import TallyPresentation

/// Quotes (sales, admin; ops reads): price and store, show, list, accept.
/// The same maker, store and acceptance as `tally quote`, the same JSON as
/// its `--format json`; creating and accepting are audited with the key's
/// name and role. Acceptance writes the customer's card file under the
/// server's rates folder (`TALLY_RATES`), as the CLI does.
struct QuoteRoutes {
    let environment: ServerEnvironment

    static let createFields: Set<String> = [
        "customer", "prospect", "volumes", "card", "discount", "prices", "valid_days", "floor", "as_of", "fail_below_floor",
    ]

    func register(on router: some RouterMethods<TallyRequestContext>) {
        router.get("/v1/quotes", permission: .quotesRead) { request, _ in
            let status = try request.uri.queryParameters.get("status").map { text in
                guard let status = Quote.Status(rawValue: text) else {
                    throw Problem.badRequest("input.invalid", "status must be open, accepted or expired, got '\(text)'")
                }
                return status
            }
            let now = environment.settings.clock.now
            let records = try await environment.database.run { db in try QuoteStore(db).list(status: status, now: now) }
            return JSONResponse.body(try QuoteText.listJSON(records) + "\n", contentType: "application/json")
        }
        router.get("/v1/quotes/{id}", permission: .quotesRead) { _, context in
            let id = try context.parameters.require("id")
            let now = environment.settings.clock.now
            guard let record = try await environment.database.run({ db in try QuoteStore(db).record(id: id, now: now) }) else {
                throw QuoteError(.notFound, "no quote \(id) (GET /v1/quotes lists them)")
            }
            let text = QuoteText(quote: record.quote, status: record.status)
            return JSONResponse.body(try text.json(acceptance: QuoteText.Acceptance(record)) + "\n", contentType: "application/json")
        }
        router.post("/v1/quotes", permission: .quotesWrite) { request, context in
            try await create(request, context)
        }
        router.post("/v1/quotes/{id}/accept", permission: .quotesWrite) { request, context in
            let key = try context.require(.quotesWrite)
            let id = try context.parameters.require("id")
            let body = try await RequestFields.read(request, allowed: ["customer", "effective"])
            let customer = try body.text("customer")
            let effective = try body.text("effective").map { try UTCTimestamp(parsingDayOrInstant: $0) }
            let actor = environment.actor(key)
            let folder = environment.settings.ratesDirectory.path
            let now = environment.settings.clock.now
            let r = try await environment.database.run { db in
                try QuoteAcceptance(db, ratesDirectory: folder).accept(id: id, customer: customer, effective: effective, now: now, audit: actor)
            }
            return JSONResponse.make(.object([
                "quote": .text(r.quote), "customer": .text(r.customer), "card": .text(r.card), "effective_from": .text(r.effectiveFrom.description),
                "file": .text(r.file), "created": .bool(r.created), "versions_added": .number(r.load.versionsAdded),
                "versions_changed": .number(r.load.versionsChanged), "versions_unchanged": .number(r.load.versionsUnchanged),
                "notes": .list(r.notes.map(JSONValue.text)),
            ]))
        }
    }

    /// Prices and stores a quote (with its `quote.create` audit entry, in one
    /// transaction). With `fail_below_floor`, a quote that fails its floor is
    /// not stored: 409 `quote.refused`, its flags in `details`.
    func create(_ request: Request, _ context: TallyRequestContext) async throws -> Response {
        let key = try context.require(.quotesWrite)
        let body = try await RequestFields.read(request, allowed: Self.createFields, required: ["volumes"])
        let options = try QuoteMaker.Options(
            customer: try body.text("customer"), prospect: try body.text("prospect"), volumeTexts: try body.texts("volumes"),
            card: try body.text("card"), discount: try body.text("discount"), priceTexts: try body.texts("prices"),
            floor: try body.text("floor"), validDays: try body.integer("valid_days", in: 1...3650) ?? QuoteRequest.defaultValidDays,
            asOf: try body.text("as_of"))
        let failBelowFloor = try body.bool("fail_below_floor") ?? false
        let actor = environment.actor(key)
        let now = environment.settings.clock.now
        let quote = try await environment.database.transaction { db in
            let quote = try QuoteMaker(db).make(options, now: now)
            if failBelowFloor && quote.failsFloor { return quote }
            return try QuoteStore(db).save(quote, audit: actor)
        }
        guard quote.id != nil else {
            let flags = quote.flags.map { flag -> JSONValue in
                .object(["kind": .text(flag.kind.rawValue), "scope": .text(flag.scope), "message": .text(flag.message)])
            }
            throw Problem(status: .conflict, code: "quote.refused",
                          detail: "quote not stored: the \(quote.floorPercent)% floor is not met or cannot be verified (fail_below_floor)",
                          extensions: ["details": .object(["flags": .list(flags)])])
        }
        return JSONResponse.body(try QuoteText(quote: quote, status: .open, stored: true).json() + "\n", contentType: "application/json",
                                 status: .created)
    }
}
