import Foundation
import OpsCore
import OpsSupport
import PGClient

/// What a one-shot run saw of the stores, for the textfile's `postgres_up`/`redis_up` series: one
/// `SELECT 1` and one `PING`, each on a fresh connection with a short timeout, no retries.
package enum StoreProbe {
    package struct Result: Sendable, Equatable {
        package var up: Bool
        /// Round trip in seconds (0 when down).
        package var ping: Double

        package init(up: Bool, ping: Double) {
            self.up = up
            self.ping = ping
        }
    }

    package struct Status: Sendable, Equatable {
        /// nil: not configured (no series, like the daemon without `REDIS_URL`).
        package var postgres: Result?
        package var redis: Result?
        /// The filesystem of a local `BACKUP_REPO` (nil for object storage or when unknown).
        package var repository: FilesystemSpace?

        package init(postgres: Result?, redis: Result?, repository: FilesystemSpace? = nil) {
            self.postgres = postgres
            self.redis = redis
            self.repository = repository
        }
    }

    /// The filesystem space of `configuration`'s backup repository when it is a local directory.
    package static func repositorySpace(_ configuration: OpsConfiguration) async -> FilesystemSpace? {
        let root = configuration.backupRepository
        guard !root.contains("://") else { return nil }
        return try? await BlockingIO.run(name: "statvfs") { FilesystemSpace.of(root) }
    }

    /// Probes the stores `configuration` names. A URL that does not parse counts as down: the job
    /// cannot reach the store as configured. PostgreSQL is probed whenever the run has a configuration
    /// (every job records its run there); Redis only when `REDIS_URL` is set.
    package static func check(_ configuration: OpsConfiguration, timeoutSeconds: Int = 2) async -> Status {
        var bounded = configuration
        bounded.connectTimeoutSeconds = max(1, min(configuration.connectTimeoutSeconds, timeoutSeconds))
        async let postgres = probePostgres(bounded)
        async let redis: Result? = configuration.redisURL == nil ? nil : probeRedis(bounded, timeoutSeconds: timeoutSeconds)
        async let repository = repositorySpace(configuration)
        return Status(postgres: await postgres, redis: await redis, repository: await repository)
    }

    private static func probePostgres(_ configuration: OpsConfiguration) async -> Result {
        let clock = ContinuousClock()
        do {
            return try await Stores.withPostgres(configuration) { connection in
                let start = clock.now
                try await connection.query("SELECT 1")
                return Result(up: true, ping: (clock.now - start).inSeconds)
            }
        } catch {
            return Result(up: false, ping: 0)
        }
    }

    private static func probeRedis(_ configuration: OpsConfiguration, timeoutSeconds: Int) async -> Result {
        let pinger = RedisPinger(configuration: configuration, timeout: .seconds(timeoutSeconds))
        let result: Result
        do { result = Result(up: true, ping: try await pinger.ping().inSeconds) }
        catch { result = Result(up: false, ping: 0) }
        await pinger.close()
        return result
    }
}
