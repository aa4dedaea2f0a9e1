// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "auto-i18n-ops",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "auto-i18n-ops", targets: ["AutoI18nOps"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.5.0"),
    ],
    targets: [
        // C libraries (system-library targets only: modulemap + shim.h).
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CLibArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),

        // Leaf target with no C dependency: mechanics several modules share (byte streams, ...).
        .target(name: "OpsSupport"),

        // Thin safe wrappers: the only code that touches C pointers.
        .target(name: "PGClient", dependencies: ["CLibPQ"]),
        .target(name: "RedisClient", dependencies: ["CHiredis"]),
        .target(name: "ArchiveIO", dependencies: ["CLibArchive"]),

        // Core: configuration, errors, job protocol, job-run history, schema migrations.
        .target(name: "OpsCore", dependencies: [
            "PGClient", "RedisClient",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),

        // Domain modules, one per capability. They never import the C modules.
        .target(name: "Health", dependencies: ["OpsCore", "PGClient", "RedisClient"]),
        .target(name: "Backup", dependencies: [
            "OpsCore", "PGClient", "ArchiveIO",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "Retention", dependencies: [
            "OpsCore", "PGClient", "RedisClient", "ArchiveIO",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "Snapshot", dependencies: [
            "OpsCore", "RedisClient", "ArchiveIO",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "Telemetry", dependencies: [
            "OpsCore", "PGClient",
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),
        .target(name: "Scheduler", dependencies: [
            "OpsCore", "PGClient", "Telemetry",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        // The executable only parses arguments and calls the domain modules.
        .executableTarget(name: "AutoI18nOps", dependencies: [
            "OpsCore", "Health", "Backup", "Retention", "Snapshot", "Telemetry", "Scheduler",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        .testTarget(name: "UnitTests", dependencies: [
            "PGClient", "RedisClient", "ArchiveIO", "OpsCore", "Health", "Backup", "Retention", "Snapshot",
            "Telemetry", "Scheduler",
        ]),
        .testTarget(name: "IntegrationTests", dependencies: [
            "PGClient", "RedisClient", "ArchiveIO", "OpsCore", "Health", "Backup", "Retention", "Snapshot",
            "Telemetry", "Scheduler",
        ]),
    ]
)
