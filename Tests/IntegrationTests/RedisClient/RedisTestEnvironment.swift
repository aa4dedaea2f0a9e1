import Foundation
import RedisClient
import Testing

/// Settings the test command exports, and helpers shared by the Redis integration tests.
enum RedisTestEnvironment {
    /// The shared server from `REDIS_URL`. A missing variable fails the test (it does not skip it),
    /// so a misconfigured CI run cannot pass silently.
    static func sharedURL(database: Int? = nil) throws -> RedisURL {
        let raw = try #require(
            ProcessInfo.processInfo.environment["REDIS_URL"],
            "REDIS_URL is not set: the integration tests need a running redis-server, e.g. REDIS_URL=redis://127.0.0.1:6379/0 swift test"
        )
        var url = try RedisURL(raw)
        if let database { url.database = database }
        return url
    }

    static func connect(
        database: Int? = nil, commandTimeout: Duration = .seconds(10)
    ) async throws -> RedisConnection {
        try await RedisConnection.connect(sharedURL(database: database), commandTimeout: commandTimeout)
    }

    /// A key prefix unique to one test, so tests can run in parallel on the shared server.
    static func keyPrefix() -> String { "test:\(UUID().uuidString):" }
}
