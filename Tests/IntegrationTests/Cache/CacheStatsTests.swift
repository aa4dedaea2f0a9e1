import Cache
import Foundation
import Logging
import OpsCore
import OpsSupport
import RedisClient
import Snapshot
import Testing

/// `cache stats` against private redis-servers whose whole keyspace the test controls.
@Suite("cache stats")
struct CacheStatsTests {
    /// The seed's key families, with the counts each test writes.
    static let seeded: [(prefix: String, family: CacheKeyFamily, count: Int)] = [
        ("session:", .session, 37), ("api:response:", .apiResponse, 25), ("translation:", .translation, 1_200),
        ("ratelimit:", .ratelimit, 9), ("stats:", .stats, 2), ("misc:", .other, 4),
    ]

    func seed(_ connection: RedisConnection) async throws {
        var commands: [[String]] = []
        for (prefix, _, count) in Self.seeded {
            for i in 0..<count { commands.append(["SET", "\(prefix)\(i)", "v"]) }
        }
        // Binary and look-alike keys land in "other".
        commands.append(["SET", "sessions-index", "v"])
        commands.append(["SET", "api:responsible", "v"])
        _ = try await connection.pipeline(commands)
        _ = try await connection.command(bytes: [Array("SET".utf8), [0xff, 0x00, 0x0d, 0x0a], Array("v".utf8)])
    }

    @Test func countsPerFamilyAreExactOnASeededKeyspace() async throws {
        let server = try await RedisTestServer.start()
        defer { server.stop() }
        let admin = try await RedisConnection.connect(server.url)
        defer { admin.close() }
        try await seed(admin)
        try await admin.command(["RPUSH", "batch:queue", "a", "b", "c", "d", "e"])
        // 3 hits and 1 miss, before the job's own lookups.
        for key in ["session:1", "session:2", "stats:1", "nope"] { try await admin.command(["GET", key]) }

        let stats = try await CacheStatsJob(scanner: CacheKeyScanner(count: 100)).collect(admin)

        #expect(stats.counts.complete)
        for (_, family, count) in Self.seeded where family != .other {
            #expect(stats.counts.perFamily[family] == Int64(count), "\(family)")
        }
        // misc:* 4, sessions-index, api:responsible, the binary key, batch:queue.
        #expect(stats.counts.perFamily[.other] == 8)
        let total = Int64(Self.seeded.map(\.count).reduce(0, +) + 4)
        #expect(stats.counts.scanned == total)
        #expect(stats.databaseSize == total)  // oracle: the server's own DBSIZE
        #expect(stats.queueType == "list")
        #expect(stats.queueLength == 5)
        #expect(stats.keyspaceHits == 3)
        #expect(stats.keyspaceMisses == 1)
        #expect(stats.hitRatio == 0.75)
        #expect(stats.maxMemory == 0)
        #expect((stats.usedMemory ?? 0) > 0)
        #expect(stats.evictedKeys == 0)

        let details = stats.details
        #expect(details["keys"]?["translation"] == .int(1_200))
        #expect(details["keys"]?["api_response"] == .int(25))
        #expect(details["batch_queue_length"] == .int(5))
        #expect(details["hit_ratio"] == .double(0.75))
        #expect(details["partial"] == .bool(false))
        #expect(stats.table.contains("translation:*"))
    }

    @Test func aStreamQueueIsMeasuredWithXLEN() async throws {
        let server = try await RedisTestServer.start()
        defer { server.stop() }
        let admin = try await RedisConnection.connect(server.url)
        defer { admin.close() }
        for i in 0..<3 { try await admin.command(["XADD", "batch:queue", "*", "job", String(i)]) }

        let stats = try await CacheStatsJob().collect(admin)
        #expect(stats.queueType == "stream")
        #expect(stats.queueLength == 3)
        #expect(stats.hitRatio == nil)
        #expect(stats.details["hit_ratio"] == .null)
    }

    @Test func aScanCutShortIsFlaggedPartialAndWarns() async throws {
        let server = try await RedisTestServer.start()
        defer { server.stop() }
        let admin = try await RedisConnection.connect(server.url)
        defer { admin.close() }
        try await seed(admin)
        // One SCAN call of COUNT 1, then the time limit has passed: never the whole keyspace.
        let job = CacheStatsJob(scanner: CacheKeyScanner(maxTime: .nanoseconds(1), count: 1))
        var configuration = try OpsConfiguration(environment: [:])
        configuration.redisURL = "redis://127.0.0.1:\(server.port)/0"
        let outcome = try await job.run(JobContext(configuration: configuration, logger: Logger(label: "test"), trigger: .manual))

        #expect(outcome.status == .warning)
        #expect(outcome.details["partial"] == .bool(true))
        #expect((outcome.details["scanned_keys"]?.intValue ?? .max) < outcome.details["dbsize"]?.intValue ?? 0)
        #expect(outcome.warnings.first?.contains("partial") == true)
        #expect(CacheStats.table(outcome.details).contains("PARTIAL"))
    }

    @Test func theCommandRunsWithoutPostgresAndPrintsJSON() async throws {
        let server = try await RedisTestServer.start(password: "cache-secret")
        defer { server.stop() }
        let admin = try await RedisConnection.connect(server.url)
        defer { admin.close() }
        try await seed(admin)

        let result = try await CLI.run(["cache", "stats", "--json"],
                                 environment: ["REDIS_URL": "redis://:cache-secret@127.0.0.1:\(server.port)/0"],
                                 removing: ["DATABASE_URL"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try JSONDecoder().decode(JSONValue.self, from: Data(result.stdout.utf8))
        #expect(json["job"] == .string("cache-stats"))
        #expect(json["details"]?["keys"]?["session"] == .int(37))
        #expect(!result.stdout.contains("cache-secret"))

        let table = try await CLI.run(["cache", "stats"], environment: ["REDIS_URL": "redis://:cache-secret@127.0.0.1:\(server.port)/0"],
                                removing: ["DATABASE_URL"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("session:*"))
        #expect(table.stdout.contains("ratelimit:*"))
    }

    @Test func aWrongPasswordIsOneLineExit3() async throws {
        let server = try await RedisTestServer.start(password: "cache-secret")
        defer { server.stop() }
        let result = try await CLI.run(["cache", "stats"], environment: ["REDIS_URL": "redis://:not-it-42@127.0.0.1:\(server.port)/0"],
                                 removing: ["DATABASE_URL"])
        #expect(result.status == ExitCode.storeUnavailable)
        // One error line (without PostgreSQL, the runner also logs that the run goes unrecorded).
        let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("auto-i18n-ops:") }
        #expect(errors.count == 1)
        #expect(errors.first?.contains("authentication to redis://127.0.0.1:\(server.port) failed") == true)
        #expect(!result.stderr.contains("not-it-42"))
    }
}
