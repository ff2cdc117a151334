// libFuzzer target: a supply CSV file (sites, GPU types, FX rates, reserved
// contracts, capacity purchases), read and validated as `supply import` does
// before anything reaches the database (SupplyImporter.read).
import Foundation
@testable import TallyDatabase

let path = NSTemporaryDirectory() + "tally-fuzz-supply-\(getpid()).csv"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSupplyCSV(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes: start, count: count)) else { return 0 }
    guard let (_, rows, problems) = try? SupplyImporter.read(path) else { return 0 }
    // Every refusal is located: a line of the file.
    for problem in problems where problem.line == nil { fatalError("a supply problem without a line: \(problem)") }
    _ = rows
    return 0
}
