import Foundation
import OpsCore
import RedisClient

/// Measures the Redis server's `PING` round trip over one kept-open connection (metrics, readiness).
///
/// Fails fast: one connection attempt with a short timeout, no retries, so a scrape never waits for
/// `REDIS_MAX_RETRIES` reconnects. A failed ping drops the connection; the next ping reconnects.
package actor RedisPinger {
    private let configuration: OpsConfiguration
    private let timeout: Duration
    private var connection: RedisConnection?

    /// - Parameters:
    ///   - configuration: holds `REDIS_URL`.
    ///   - timeout: limit for connecting and for the reply.
    package init(configuration: OpsConfiguration, timeout: Duration = .seconds(2)) {
        self.configuration = configuration
        self.timeout = timeout
    }

    /// The round trip of one `PING`.
    /// - Throws: `OpsError` (`.storeUnavailable` when unreachable, `.configuration` for a bad URL).
    package func ping() async throws -> Duration {
        do {
            let connection = try await connected()
            let clock = ContinuousClock()
            let start = clock.now
            try await connection.command(["PING"])
            return clock.now - start
        } catch {
            connection?.close()
            connection = nil
            throw Stores.opsError(error)
        }
    }

    /// Closes the kept connection.
    package func close() async {
        connection?.close()
        connection = nil
    }

    private func connected() async throws -> RedisConnection {
        if let connection { return connection }
        let url = try RedisURL(try configuration.requireRedisURL())
        let fresh = try await RedisConnection.connect(url, connectTimeout: timeout, commandTimeout: timeout)
        connection = fresh
        return fresh
    }
}
