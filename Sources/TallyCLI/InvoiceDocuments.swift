import ArgumentParser
import Foundation
import TallyCore
import TallyDatabase
import TallyPresentation

/// Renders invoices and credit notes in the format asked for, and writes
/// a month's documents to files (`tally invoice show` / `export`).
enum InvoiceDocuments {
    static func render(_ invoice: Invoice, _ format: InvoiceCommand.Format) throws -> String {
        try format.render(invoice)
    }

    static func render(_ note: CreditNote, _ format: InvoiceCommand.Format) throws -> String {
        try format.render(note)
    }

    /// Writes the files; returns their paths, sorted. CII skips drafts and
    /// invoices without lines (an EN 16931 invoice needs at least one line)
    /// and says so on stderr.
    static func export(_ invoices: [Invoice], store: InvoiceStore, period: BillingMonth, format: InvoiceCommand.Format, to folder: String) throws -> [String] {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw OutputFileError(path: folder, error)
        }
        var written: [String] = []
        // All or nothing: a file that cannot be written (a full disk, a
        // read-only folder) removes the ones this export wrote before it, so
        // the folder never holds half a month.
        func write(_ name: String, _ text: String) throws {
            let path = (folder as NSString).appendingPathComponent(name)
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                for done in written { try? FileManager.default.removeItem(atPath: done) }
                throw OutputFileError(path: path, error, removed: written.count)
            }
            written.append(path)
        }
        let ext = format == .cii ? "xml" : format.rawValue
        switch format {
        case .csv:
            try write("invoices-\(period).csv", InvoiceCSV.render(invoices))
        case .text, .json, .html, .cii:
            for invoice in invoices {
                if format == .cii && (invoice.status == .draft || invoice.lines.isEmpty) {
                    Terminal.note("skipped \(invoice.name): \(invoice.status == .draft ? "a draft" : "no lines") has no e-invoice")
                    continue
                }
                let name = invoice.name.replacingOccurrences(of: "/", with: "-")
                try write("\(name).\(ext)", try render(invoice, format))
                if let number = invoice.number {
                    for note in try store.creditNotes(of: number) {
                        try write("\(note.number).\(ext)", try render(note, format))
                    }
                }
            }
        }
        return written.sorted()
    }
}

extension InvoiceDocumentFormat: ExpressibleByArgument {}
