// swift-tools-version: 6.0
// Coverage-guided fuzzing of the parsers a user can feed (issue 17), with
// libFuzzer and the address sanitizer. A package of its own so that the main
// build never carries the sanitizers:
//   make fuzz FUZZ_SECONDS=60        build, then run every target for that long
// Build by hand: swift build --package-path fuzz --scratch-path .build-fuzz \
//   --sanitize=fuzzer --sanitize=address -Xswiftc -enable-testing
import Foundation
import PackageDescription

// The project is this folder's parent; SwiftPM names a path dependency after
// its folder, which is whatever the checkout is called.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let tally = root.lastPathComponent.lowercased()

func fuzzTarget(_ name: String, _ products: [String]) -> Target {
    .executableTarget(
        name: name,
        dependencies: products.map { .product(name: $0, package: tally) },
        path: "Sources/\(name)")
}

let package = Package(
    name: "TallyFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: root.path)],
    targets: [
        fuzzTarget("FuzzUsageLine", ["TallyDatabase"]),
        fuzzTarget("FuzzUsageCSV", ["TallyDatabase"]),
        fuzzTarget("FuzzRateCard", ["TallyDatabase"]),
        fuzzTarget("FuzzSupplyCSV", ["TallyDatabase"]),
        fuzzTarget("FuzzCustomerCSV", ["TallyDatabase"]),
        fuzzTarget("FuzzDecimal", ["TallyCore"]),
        fuzzTarget("FuzzTimestamp", ["TallyCore"]),
        fuzzTarget("FuzzQuoteVolume", ["TallyCore"]),
    ],
    swiftLanguageModes: [.v6]
)
