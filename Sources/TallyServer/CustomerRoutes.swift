import Hummingbird
import TallyCore
import TallyDatabase
import TallyPresentation

/// Customers (finance and admin write; sales, ops read): list, show, create,
/// update, and a customer's usage in a month. Writes go through
/// `CustomerStore.add`, the validation of `tally customers add` and
/// `import` (every problem listed, nothing written if any), audited with
/// the key's name and role.
struct CustomerRoutes {
    let environment: ServerEnvironment

    /// The fields a customer body may have: the CSV columns of `tally customers import`.
    static let fields = Set(CustomerStore.columns)

    func register(on router: some RouterMethods<TallyRequestContext>) {
        router.get("/v1/customers", permission: .customersRead) { _, _ in
            let customers = try await environment.database.run { db in try CustomerStore(db).all() }
            return JSONResponse.make(.list(customers.map(CustomerPresentation.object)))
        }
        router.get("/v1/customers/{id}", permission: .customersRead) { _, context in
            let id = try context.parameters.require("id")
            return JSONResponse.make(CustomerPresentation.object(try await customer(id)))
        }
        router.post("/v1/customers", permission: .customersWrite) { request, context in
            let key = try context.require(.customersWrite)
            let body = try await RequestFields.read(request, allowed: Self.fields, required: ["id"])
            let stored = try await save(try Self.row(body, id: try body.requiredText("id")), actor: environment.actor(key), create: true)
            return JSONResponse.make(CustomerPresentation.object(stored), status: .created)
        }
        router.put("/v1/customers/{id}", permission: .customersWrite) { request, context in
            let key = try context.require(.customersWrite)
            let id = try context.parameters.require("id")
            let body = try await RequestFields.read(request, allowed: Self.fields)
            if let given = try body.text("id"), given != id {
                throw Problem.badRequest("input.invalid", "the body's id '\(given)' is not the path's '\(id)' (a customer's id cannot change)")
            }
            let stored = try await save(try Self.row(body, id: id), actor: environment.actor(key), create: false)
            return JSONResponse.make(CustomerPresentation.object(stored))
        }
        router.get("/v1/customers/{id}/usage/{period}", permission: .usageRead) { request, context in
            let id = try context.parameters.require("id")
            let month = try BillingMonth(parsing: try context.parameters.require("period"))
            let by = request.uri.queryParameters.get("by") ?? "model"
            guard let grouping = UsageStore.Grouping(rawValue: by) else {
                throw Problem.badRequest("input.invalid", "by must be model, tag, day or site, got '\(by)'")
            }
            let rows = try await environment.database.run { db in
                guard try CustomerStore(db).customer(id: id) != nil else { throw Self.notFound(id) }
                return try UsageStore(db).summary(customer: id, month: month, by: grouping)
            }
            return JSONResponse.make(UsagePresentation.table(rows, by: grouping, grouped: false)
                .jsonValue(keys: UsagePresentation.jsonKeys(by: grouping), integerColumns: UsagePresentation.integerColumns))
        }
    }

    func customer(_ id: String) async throws -> Customer {
        guard let customer = try await environment.database.run({ db in try CustomerStore(db).customer(id: id) }) else {
            throw Self.notFound(id)
        }
        return customer
    }

    static func notFound(_ id: String) -> Problem {
        Problem(status: .notFound, code: "customer.not_found", detail: "no customer '\(id)' (GET /v1/customers lists them)")
    }

    /// The CSV row `CustomerStore.add` reads: absent optional fields take the
    /// CLI's defaults (no VAT id, standard tax, the public card).
    static func row(_ body: RequestFields, id: String) throws -> [String: String] {
        var row: [String: String] = ["id": id, "vat_id": "", "tax_treatment": "standard", "card": "public"]
        for column in CustomerStore.columns where column != "id" {
            if let value = try body.text(column) { row[column] = value }
        }
        return row
    }

    /// Creates (refusing an existing id: 409) or updates (an unknown id:
    /// 404) in one transaction with its audit entry; returns the stored customer.
    func save(_ row: [String: String], actor: AuditActor, create: Bool) async throws -> Customer {
        let issuer = try environment.settings.issuer()
        let id = row["id"] ?? ""
        return try await environment.database.transaction { db in
            let store = CustomerStore(db, issuerCountry: issuer.country)
            let existing = try store.customer(id: id)
            if create, existing != nil {
                throw Problem(status: .conflict, code: "database.duplicate", detail: "customer '\(id)' exists: update it with PUT /v1/customers/\(id)")
            }
            if !create, existing == nil { throw Self.notFound(id) }
            _ = try store.add(row, audit: actor)
            guard let stored = try store.customer(id: id) else { throw Self.notFound(id) }
            return stored
        }
    }
}
