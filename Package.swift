// swift-tools-version:6.0
import PackageDescription

/// Upcoming features every target builds with (as hummingbird 2 does): `any` spelled out for
/// existentials, and a file sees only the members of modules it imports itself.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let crypto: Target.Dependency = .product(name: "Crypto", package: "swift-crypto")

// Linux only: the code uses Glibc (st_mtim, Linux's proc and fsync semantics); no other platform is claimed.
let package = Package(
    name: "auto-i18n-ops",
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
        // Already in the graph through hummingbird; named for the HTTP server's idle timeout (`TimeAmount`).
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
    ],
    targets: [
        // C libraries (system-library targets only: modulemap + shim.h).
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CLibArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        // Leaf target with no C dependency: the mechanics several modules share (syscall funnel, atomic
        // files, byte streams, blocking I/O, lock box, SHA-256 hex, the duration grammar, JSON values).
        .target(name: "OpsSupport", dependencies: [crypto], swiftSettings: swiftSettings),

        // The age-encryption.org/v1 file format (X25519 recipients), over the OpsSupport byte streams.
        .target(name: "AgeEncryption", dependencies: ["OpsSupport", crypto], swiftSettings: swiftSettings),

        // Thin safe wrappers: the only code that touches C pointers.
        .target(name: "PGClient", dependencies: ["CLibPQ", "OpsSupport"], swiftSettings: swiftSettings),
        .target(name: "RedisClient", dependencies: ["CHiredis", "OpsSupport"], swiftSettings: swiftSettings),
        .target(name: "ArchiveIO", dependencies: ["CLibArchive", "OpsSupport"], swiftSettings: swiftSettings),
        .target(name: "HTTPClient", dependencies: ["CCurl"], swiftSettings: swiftSettings),

        // Core: configuration, errors, job protocol and runner, job-run history, schema migrations, stores.
        .target(name: "OpsCore", dependencies: ["OpsSupport", "PGClient", "RedisClient", logging, crypto],
                swiftSettings: swiftSettings),

        // Domain modules, one per capability. They never import the C modules.
        .target(name: "Cache", dependencies: ["OpsCore", "OpsSupport", "RedisClient", logging], swiftSettings: swiftSettings),
        .target(name: "Health", dependencies: ["OpsCore", "OpsSupport", "PGClient", "RedisClient", logging],
                swiftSettings: swiftSettings),
        .target(name: "Backup", dependencies: ["OpsCore", "OpsSupport", "PGClient", "ArchiveIO", "Repository", "ObjectStore", "AgeEncryption", logging, crypto],
                swiftSettings: swiftSettings),
        .target(name: "Retention", dependencies: ["OpsCore", "OpsSupport", "Cache", "PGClient", "ArchiveIO", "Repository", "ObjectStore",
                                                "AgeEncryption", logging, crypto],
                swiftSettings: swiftSettings),
        .target(name: "Maintenance", dependencies: ["OpsCore", "OpsSupport", "PGClient", logging], swiftSettings: swiftSettings),
        .target(name: "Snapshot", dependencies: ["OpsCore", "OpsSupport", "RedisClient", "ArchiveIO", "Repository", "ObjectStore",
                                               "AgeEncryption", logging, crypto],
                swiftSettings: swiftSettings),
        .target(name: "Telemetry", dependencies: [
            "OpsCore", "OpsSupport", "PGClient", "RedisClient", logging,
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
        ], swiftSettings: swiftSettings),
        .target(name: "LegacyImport", dependencies: ["OpsCore", "OpsSupport", "PGClient", logging, crypto],
                swiftSettings: swiftSettings),
        .target(name: "Scheduler", dependencies: [
            "OpsCore", "OpsSupport", "PGClient", "Telemetry", logging,
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], swiftSettings: swiftSettings),
        // Demo data for throwaway stacks; only the executable links it.
        .target(name: "DemoSeed", dependencies: ["OpsCore", "OpsSupport", "PGClient", "RedisClient"], swiftSettings: swiftSettings),

        // S3-compatible object storage: SigV4 signing, S3 API calls, multipart upload sink, GET source.
        .target(name: "ObjectStore", dependencies: ["OpsSupport", "HTTPClient", crypto], swiftSettings: swiftSettings),

        // Repositories: a local directory or s3://bucket/prefix behind one set of object operations
        // (sinks, sources, listing, leftovers), plus age encryption of the objects.
        .target(name: "Repository", dependencies: ["OpsSupport", "ObjectStore", "AgeEncryption", crypto], swiftSettings: swiftSettings),

        // The executable only parses arguments and calls the domain modules.
        .executableTarget(name: "AutoI18nOps", dependencies: [
            "OpsCore", "OpsSupport", "Cache", "Health", "Backup", "Retention", "Maintenance", "Snapshot", "Telemetry",
            "Scheduler", "DemoSeed", "LegacyImport", logging,
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: swiftSettings),

        // Helpers both test targets share (the promtool oracle, repository paths).
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "UnitTests", dependencies: [
            "TestSupport", "OpsSupport", "PGClient", "RedisClient", "ArchiveIO", "OpsCore", "Cache", "Health", "Backup", "Retention",
            "Maintenance", "Snapshot", "Telemetry", "Scheduler", "AgeEncryption", "HTTPClient", "ObjectStore", "Repository", "LegacyImport",
            logging, crypto,
        ], exclude: ["ObjectStore/Fixtures"], swiftSettings: swiftSettings),
        .testTarget(name: "IntegrationTests", dependencies: [
            "TestSupport", "OpsSupport", "PGClient", "RedisClient", "ArchiveIO", "OpsCore", "Cache", "Health", "Backup", "Retention",
            "Maintenance", "Snapshot", "Telemetry", "Scheduler", "DemoSeed", "AgeEncryption", "HTTPClient", "ObjectStore",
            "Repository", "LegacyImport", logging, crypto,
        ], swiftSettings: swiftSettings),
    ]
)
