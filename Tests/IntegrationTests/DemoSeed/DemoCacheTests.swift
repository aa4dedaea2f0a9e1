import DemoSeed
import Foundation
import OpsCore
import OpsSupport
import PGClient
import RedisClient
import Testing

@Suite("Demo cache keys", .serialized)
struct DemoCacheTests {
    /// `demo seed` fills a private redis-server with the key shapes cache-stats counts and retention invalidates.
    @Test func demoSeedWritesSessionKeysWithTheirTTLAndTheOtherKeyShapes() async throws {
        let server = try await RedisTestServer.start()
        defer { server.stop() }
        try await PostgresTestDatabase.with { name, _ in
            let result = try await CLI.run(["demo", "seed"], environment: [
                "DATABASE_URL": try PostgresTestDatabase.serverConfiguration().url(forDatabase: name),
                "REDIS_URL": "redis://127.0.0.1:\(server.port)/0",
            ])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("demo cache:"))
            let redis = try await RedisConnection.connect(server.url)
            defer { redis.close() }
            func count(_ pattern: String) async throws -> Int {
                guard case .array(let keys) = try await redis.command(["KEYS", pattern]) else { return -1 }
                return keys.count
            }
            #expect(try await count("session:demo-sender-*") == 50, "one per live demo session")
            #expect(try await count("api:response:*") == 20)
            #expect(try await count("translation:*") == 30)
            #expect(try await count("ratelimit:*") == 10)
            #expect(try await count("stats:*") >= 1)
            let ttl = try await redis.command(["TTL", "session:demo-sender-001"])
            #expect((1...DemoCache.sessionTTLSeconds).contains(Int(ttl.int ?? -1)))
            #expect(try await redis.command(["LLEN", "batch:queue"]).int ?? 0 > 0)
            // Twice is safe: same keys, the queue rebuilt, not doubled.
            let length = try await redis.command(["LLEN", "batch:queue"]).int
            #expect(try await CLI.run(["demo", "seed"], environment: [
                "DATABASE_URL": try PostgresTestDatabase.serverConfiguration().url(forDatabase: name),
                "REDIS_URL": "redis://127.0.0.1:\(server.port)/0",
            ]).status == 0)
            #expect(try await redis.command(["LLEN", "batch:queue"]).int == length)
        }
    }
}
