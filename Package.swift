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
    ],
    targets: [
        // C libraries (system-library targets only: modulemap + shim.h).
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CLibArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),

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

        // Domain modules, one per capability.
        .target(name: "Health", dependencies: ["OpsCore", "PGClient", "RedisClient"]),
        .target(name: "Scheduler", dependencies: ["OpsCore"]),

        // The executable only parses arguments and calls the domain modules.
        .executableTarget(name: "AutoI18nOps", dependencies: [
            "OpsCore", "Health", "Scheduler",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        .testTarget(name: "UnitTests", dependencies: [
            "PGClient", "RedisClient", "ArchiveIO", "OpsCore", "Health", "Scheduler",
        ]),
        .testTarget(name: "IntegrationTests", dependencies: [
            "PGClient", "RedisClient", "ArchiveIO", "OpsCore", "Health", "Scheduler",
        ]),
    ]
)
