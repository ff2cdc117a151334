// libFuzzer target: a customer CSV file, each record validated as
// `customers import` does before anything reaches the database
// (CSVFile, FieldReader, CustomerStore.parse).
import Foundation
@testable import TallyDatabase

let path = NSTemporaryDirectory() + "tally-fuzz-customers-\(getpid()).csv"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCustomerCSV(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes: start, count: count)) else { return 0 }
    guard var csv = try? CSVFile(path: path) else { return 0 }
    let columns = Dictionary(csv.header.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    var records = 0
    while records < 100_000, let (line, fields) = try? csv.next() {
        records += 1
        var reader = FieldReader(file: path, line: line, columns: columns, fields: fields)
        if let customer = CustomerStore.parse(&reader) {
            // An accepted customer can appear in an e-invoice (XML 1.0 text).
            for text in [customer.id, customer.name] where text.unicodeScalars.contains(where: { $0.value < 0x20 }) {
                fatalError("accepted a control character: \(text.debugDescription)")
            }
        }
    }
    return 0
}
