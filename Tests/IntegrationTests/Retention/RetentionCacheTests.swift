import Foundation
import OpsCore
import OpsSupport
import PGClient
import RedisClient
@testable import Retention
import Testing

@Suite("Retention: cache invalidation")
struct RetentionCacheTests {
    @Test func cacheKeysOfDeletedSessionsAreRemovedAndThoseOfLiveSessionsKept() async throws {
        // A private server: stats:dashboard is one key for everybody, so tests must not share it.
        let server = try await RedisTestServer.start()
        defer { server.stop() }
        let redis = try await RedisConnection.connect(server.url)
        defer { redis.close() }
        try await PostgresTestDatabase.with { name, db in
            let past = Date().addingTimeInterval(-3600)
            for sender in ["gone-1", "gone-2", "gone-3"] { try await RetentionFixtures.session(db, sender: sender, expiresAt: past) }
            try await RetentionFixtures.session(db, sender: "live-1", expiresAt: Date().addingTimeInterval(86_400))
            for sender in ["gone-1", "gone-2", "gone-3", "live-1"] {
                try await redis.command(["SET", "session:\(sender)", "{\"cached\":true}", "EX", "3600"])
            }
            try await redis.command(["SET", "stats:dashboard", "{}", "EX", "3600"])
            try await redis.command(["SET", "translation:unrelated", "x"])

            let report = await RetentionFixtures.run(try RetentionFixtures.configuration(name, redisURL: "redis://127.0.0.1:\(server.port)/0")) {
                $0.scope = .sessions
                $0.batchSize = 2
            }
            #expect(report.status == .succeeded)
            #expect(report.outcome?.details["cache_keys_deleted"]?.intValue == 4)  // three sessions and the dashboard
            #expect(report.outcome?.details["cache_invalidation"]?.stringValue == "ok")
            for sender in ["gone-1", "gone-2", "gone-3"] {
                #expect(try await redis.command(["EXISTS", "session:\(sender)"]) == .integer(0))
            }
            #expect(try await redis.command(["EXISTS", "session:live-1"]) == .integer(1))
            #expect(try await redis.command(["EXISTS", "stats:dashboard"]) == .integer(0))
            #expect(try await redis.command(["EXISTS", "translation:unrelated"]) == .integer(1))
        }
    }

    @Test func aRedisOutageIsAWarningWithExitCode10AndTheDatabaseWorkIsDone() async throws {
        try await PostgresTestDatabase.with { name, db in
            let past = Date().addingTimeInterval(-3600)
            for sender in ["gone-1", "gone-2"] { try await RetentionFixtures.session(db, sender: sender, expiresAt: past) }
            try await RetentionFixtures.session(db, sender: "live-1", expiresAt: Date().addingTimeInterval(86_400))
            let closed = try ClosedPort()
            defer { withExtendedLifetime(closed) {} }  // the port stays bound (and refused) to the end
            let closedPort = closed.port
            let configuration = try PostgresTestDatabase.opsConfiguration(database: name)
            let result = try await CLI.run(["retention", "--only", "sessions", "--json"], environment: [
                "DATABASE_URL": try #require(configuration.databaseURL),
                "REDIS_URL": "redis://127.0.0.1:\(closedPort)/0",
                "REDIS_MAX_RETRIES": "0",
                "ENABLE_CACHE": "true",
            ])
            #expect(result.status == ExitCode.warning)
            #expect(try await RetentionFixtures.senders(db) == ["live-1"])
            let summary = try JSONDecoder().decode(JSONValue.self, from: Data(result.stdout.utf8))
            #expect(summary["status"]?.stringValue == "warning")
            #expect(summary["details"]?["cache_invalidation"]?.stringValue == "failed")
            #expect(summary["details"]?["deleted"]?["sessions"]?.intValue == 2)
            guard case .array(let warnings)? = summary["warnings"] else { Issue.record("no warnings in \(result.stdout)"); return }
            #expect(warnings.contains { $0.stringValue?.contains("cache invalidation failed") == true })
            let run = try #require(try await db.query("SELECT status, details->'deleted'->>'sessions' AS sessions FROM ops.job_runs WHERE job = 'retention'").first)
            #expect(run["status"] == "warning")
            #expect(run["sessions"] == "2")
        }
    }
}
