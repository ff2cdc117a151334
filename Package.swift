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
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // gzip for usage archives (zlib through CompressNIO, on NIO's ByteBuffer).
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
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
            dependencies: [
                "TallyPostgres", "TallyCore", .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // Helpers for tests that need a real PostgreSQL: a fresh schema per test.
        .target(name: "TallyTesting", dependencies: ["TallyDatabase", "TallyPostgres", "TallyCore"], swiftSettings: strict),
        // Realistic, reproducible demo and benchmark data.
        .target(name: "TallyDemo", dependencies: ["TallyCore"], swiftSettings: strict),
        // Report and document renderers shared by the CLI and the server (JSON, CSV, tables).
        .target(name: "TallyPresentation", dependencies: ["TallyCore", "TallyDatabase", .product(name: "CSV", package: "CSV.swift")], swiftSettings: strict),
        // The HTTP API (`tally serve`): routes, keys and roles, problem details, metrics.
        .target(
            name: "TallyServer",
            dependencies: [
                "TallyCore", "TallyPostgres", "TallyDatabase", "TallyPresentation",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "TallyCLI",
            dependencies: [
                "TallyCore", "TallyPostgres", "TallyDatabase", "TallyDemo", "TallyPresentation", "TallyServer",
                .product(name: "Logging", package: "swift-log"),
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
        .testTarget(
            name: "TallyServerTests",
            dependencies: [
                "TallyServer", "TallyDatabase", "TallyTesting", "TallyPostgres", "TallyCore", "TallyPresentation",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
    ]
)
