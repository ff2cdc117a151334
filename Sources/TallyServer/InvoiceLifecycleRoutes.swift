import Hummingbird
import TallyCore
import TallyDatabase
import TallyPresentation

/// What happens to an issued invoice after it is issued (finance, admin):
/// void, credit note, payment; and credit notes read (ops too). The same
/// store functions, date rules (default today, by the server's clock) and
/// audit entries as `tally invoice void | credit-note | mark-paid`, the actor
/// being the key's name and role.
struct InvoiceLifecycleRoutes {
    let environment: ServerEnvironment

    func register(on router: some RouterMethods<TallyRequestContext>) {
        router.post("/v1/invoices/{number}/void", permission: .invoicesWrite) { request, context in
            let key = try context.require(.invoicesWrite)
            let number = try context.parameters.require("number")
            let body = try await RequestFields.read(request, allowed: ["reason", "date"], required: ["reason"])
            let reason = try body.requiredText("reason")
            let date = try CivilDate.parsing(try body.text("date"), orTodayBy: environment.settings.clock)
            let actor = environment.actor(key)
            let note = try await environment.database.run { db in
                try InvoiceStore(db).void(number: number, reason: reason, on: date, audit: actor)
            }
            return JSONResponse.body(InvoiceJSON.render(note), contentType: "application/json", status: .created)
        }
        router.post("/v1/invoices/{number}/credit-notes", permission: .invoicesWrite) { request, context in
            let key = try context.require(.invoicesWrite)
            let number = try context.parameters.require("number")
            let body = try await RequestFields.read(request, allowed: ["lines", "reason", "date"], required: ["lines", "reason"])
            let lines = try body.requiredText("lines")
            let reason = try body.requiredText("reason")
            let date = try CivilDate.parsing(try body.text("date"), orTodayBy: environment.settings.clock)
            let actor = environment.actor(key)
            let note = try await environment.database.run { db in
                try InvoiceStore(db).creditNote(number: number, linesText: lines, reason: reason, on: date, audit: actor)
            }
            return JSONResponse.body(InvoiceJSON.render(note), contentType: "application/json", status: .created)
        }
        router.post("/v1/invoices/{number}/payments", permission: .invoicesWrite) { request, context in
            let key = try context.require(.invoicesWrite)
            let number = try context.parameters.require("number")
            let body = try await RequestFields.read(request, allowed: ["date"])
            let clock = environment.settings.clock
            let date = try CivilDate.parsing(try body.text("date"), orTodayBy: clock)
            let actor = environment.actor(key)
            let invoice = try await environment.database.run { db in
                let store = InvoiceStore(db)
                try store.markPaid(number: number, on: date, today: clock.today, audit: actor)
                return try store.invoice(named: number)
            }
            return JSONResponse.body(InvoiceJSON.render(invoice), contentType: "application/json")
        }
        router.get("/v1/credit-notes/{number}", permission: .invoicesRead) { request, context in
            let number = try context.parameters.require("number")
            let format = try InvoiceRoutes.negotiate(request)
            guard format != .csv else {
                throw Problem(status: .notAcceptable, code: "http.not_acceptable",
                              detail: "credit notes are served as application/json, text/html, application/xml (CII) or text/plain (the CSV holds invoice lines)")
            }
            return try await environment.database.run { db in
                InvoiceRoutes.document(try format.render(try InvoiceStore(db).creditNote(number: number)), format)
            }
        }
    }
}
