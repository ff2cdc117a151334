// swift-tools-version:6.1
import PackageDescription

/// Strict settings shared by every target: Swift 6 mode (complete concurrency
/// checking) plus upcoming features that keep the code honest.
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "tally",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tally", targets: ["TallyCLI"]),
        .library(name: "TallyCore", targets: ["TallyCore"]),
        .library(name: "TallyPostgres", targets: ["TallyPostgres"]),
        .library(name: "TallyDatabase", targets: ["TallyDatabase"]),
        .library(name: "TallyTesting", targets: ["TallyTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // libpq, found through pkg-config (apt: libpq-dev).
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // Pure core: money, time, (later) rate cards, rating, cost blending. No I/O.
        .target(name: "TallyCore", swiftSettings: strict),
        // Thin PostgreSQL client over libpq.
        .target(name: "TallyPostgres", dependencies: ["CLibPQ", "TallyCore"], swiftSettings: strict),
        // Migrations, the self-starting local cluster, stores.
        .target(
            name: "TallyDatabase",
            dependencies: ["TallyPostgres", "TallyCore", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        // Helpers for tests that need a real PostgreSQL: a fresh schema per test.
        .target(name: "TallyTesting", dependencies: ["TallyDatabase", "TallyPostgres", "TallyCore"], swiftSettings: strict),
        // Realistic, reproducible demo and benchmark data.
        .target(name: "TallyDemo", dependencies: ["TallyCore"], swiftSettings: strict),
        // Report and document renderers shared by the CLI and the server (JSON, CSV, tables).
        .target(name: "TallyPresentation", dependencies: ["TallyCore", "TallyDatabase", .product(name: "CSV", package: "CSV.swift")], swiftSettings: strict),
        .executableTarget(
            name: "TallyCLI",
            dependencies: [
                "TallyCore", "TallyPostgres", "TallyDatabase", "TallyDemo", "TallyPresentation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "CSV", package: "CSV.swift"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "TallyCoreTests", dependencies: ["TallyCore", "TallyTesting"], swiftSettings: strict),
        .testTarget(
            name: "TallyPostgresTests",
            dependencies: ["TallyPostgres", "TallyTesting", "TallyCore"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TallyDatabaseTests",
            dependencies: ["TallyDatabase", "TallyTesting", "TallyPostgres", "TallyCore", "TallyDemo"],
            swiftSettings: strict
        ),
    ]
)
