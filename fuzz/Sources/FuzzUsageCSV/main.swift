// libFuzzer target: a usage CSV file (CSVFile + EventSource), as `usage ingest` reads it.
import Foundation
@testable import TallyDatabase

let path = NSTemporaryDirectory() + "tally-fuzz-\(getpid()).csv"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzUsageCSV(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes: start, count: count)) else { return 0 }
    guard var source = try? EventSource(path: path, format: .csv) else { return 0 }
    var records = 0
    while records < 100_000, let item = try? source.next() {
        records += 1
        if case .event(let event) = item.item, event.input < 0 || event.output < 0 || event.cached < 0 {
            fatalError("accepted a negative count")
        }
    }
    return 0
}
