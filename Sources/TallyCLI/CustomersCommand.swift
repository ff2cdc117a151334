import ArgumentParser
import TallyCore
import TallyDatabase
import TallyPresentation

struct CustomersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "customers",
        abstract: "Customers: import from CSV, add one, list.",
        subcommands: [Import.self, Add.self, List.self]
    )

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import customers from CSV.",
            discussion: """
                Columns: \(CustomerStore.columns.joined(separator: ",")) (vat_id and card may be empty; \
                card defaults to public). tax_treatment is standard, reverse_charge (EU business \
                customers with a VAT id, outside the issuer's country in config/issuer.yaml) or exempt. The card must exist and be in the customer's \
                currency. Every problem is listed with file:line; nothing is written if any. \
                Importing the same file again changes nothing.
                """)
        @Argument(help: "The CSV file.")
        var file: String

        func run() throws {
            let issuer = try InvoiceCommand.issuer()
            let s = try CustomerStore(try DatabaseTarget().migratedConnection(), issuerCountry: issuer.country).importFile(file, audit: .commandLine)
            print("\(s.inserted) new, \(s.updated) changed, \(s.unchanged) unchanged")
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add (or update) one customer.")
        @Option var id: String
        @Option var name: String
        @Option(name: .customLong("email")) var billingEmail: String
        @Option(help: "ISO 3166-1 alpha-2, e.g. DE.") var country: String
        @Option(name: .customLong("vat-id")) var vatID: String?
        @Option(name: .customLong("tax"), help: "standard, reverse_charge or exempt.") var taxTreatment = "standard"
        @Option(help: "ISO 4217, e.g. EUR.") var currency: String
        @Option(help: "Rate card id.") var card = "public"

        func run() throws {
            let issuer = try InvoiceCommand.issuer()
            let s = try CustomerStore(try DatabaseTarget().migratedConnection(), issuerCountry: issuer.country).add([
                "id": id, "name": name, "billing_email": billingEmail, "country": country, "vat_id": vatID ?? "",
                "tax_treatment": taxTreatment, "currency": currency, "card": card,
            ], audit: .commandLine)
            print(s.inserted == 1 ? "added \(id)" : s.updated == 1 ? "updated \(id)" : "unchanged \(id)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List customers.")
        @Option(help: "table, csv or json.") var format: OutputFormat = .table

        func run() throws {
            let customers = try CustomerStore(try DatabaseTarget().migratedConnection()).all()
            try CustomerPresentation.table(customers).print(format, keys: CustomerPresentation.jsonKeys)
        }
    }
}
