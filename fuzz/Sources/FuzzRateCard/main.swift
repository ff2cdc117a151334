// libFuzzer target: a rate-card YAML file (RateCardFile.parse), as `rates check` reads it.
import Foundation
import TallyDatabase

let path = NSTemporaryDirectory() + "tally-fuzz-\(getpid()).yaml"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRateCard(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes: start, count: count)) else { return 0 }
    _ = RateCardFile.parse(path: path)
    return 0
}
