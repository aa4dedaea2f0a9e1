import Foundation
import OpsCore
import OpsSupport
import RedisClient

/// The `cache-stats` job: keys per family (bounded `SCAN`), the batch queue's length, memory against
/// `maxmemory`, evictions and the hit ratio. A partial scan completes with a warning (exit 10).
///
/// It runs without PostgreSQL too (unrecorded then), so on-call can look at the cache when the
/// database is the thing that is down.
package struct CacheStatsJob: OpsJob {
    package let name = "cache-stats"
    package var requiresHistory: Bool { false }
    package var scanner: CacheKeyScanner
    /// The application's persistent queue.
    package var queueKey: String

    package init(scanner: CacheKeyScanner = CacheKeyScanner(), queueKey: String = "batch:queue") {
        self.scanner = scanner
        self.queueKey = queueKey
    }

    package func run(_ context: JobContext) async throws -> JobOutcome {
        let stats = try await collect(context.configuration)
        var warnings: [String] = []
        if !stats.counts.complete {
            warnings.append("cache stats are partial: SCAN stopped after \(DurationText.format(scanner.maxTime)) having counted \(stats.counts.scanned) of \(stats.databaseSize.map(String.init) ?? "?") keys; raise --max-time for exact counts")
        }
        return JobOutcome(details: stats.details, warnings: warnings)
    }

    /// Connects (`REDIS_URL`) and gathers the figures.
    ///
    /// - Throws: `OpsError`: `.storeUnavailable` when the server is down or refuses the credentials,
    ///   `.configuration` for a missing or malformed URL, `.jobFailed` for an unexpected reply.
    package func collect(_ configuration: OpsConfiguration) async throws -> CacheStats {
        try await Stores.withRedis(configuration) { connection in try await collect(on: connection) }
    }

    private func collect(on connection: RedisConnection) async throws -> CacheStats {
        do {
            return try await collect(connection)
        } catch let error as RedisError {
            throw OpsError((Stores.opsError(error) as? OpsError)?.code ?? .jobFailed, "cache stats failed: \(error.description)")
        }
    }

    /// Gathers the figures on an open connection.
    package func collect(_ connection: RedisConnection) async throws -> CacheStats {
        let server = try await connection.info("server")
        let product = server["dragonfly_version"].map { "dragonfly \($0)" } ?? server["redis_version"].map { "redis \($0)" } ?? "unknown"
        let memory = try await connection.info("memory")
        let stats = try await connection.info("stats")

        let clock = ContinuousClock()
        let start = clock.now
        let counts = try await scanner.scan(connection)
        let scanDuration = clock.now - start
        let databaseSize = try await connection.command(["DBSIZE"]).int
        let (queueType, queueLength) = try await queue(connection)

        func int(_ info: [String: String], _ key: String) -> Int64? { info[key].flatMap { Int64($0) } }
        return CacheStats(
            server: "\(connection.url.server)/\(connection.url.database)", product: product, counts: counts,
            databaseSize: databaseSize, queueKey: queueKey, queueType: queueType, queueLength: queueLength,
            usedMemory: int(memory, "used_memory"), maxMemory: int(memory, "maxmemory"),
            evictedKeys: int(stats, "evicted_keys"), keyspaceHits: int(stats, "keyspace_hits"),
            keyspaceMisses: int(stats, "keyspace_misses"), scanDuration: scanDuration)
    }

    /// The queue's type and length. `TYPE` picks the length command; if the key changes type in
    /// between (`WRONGTYPE`), it is asked again once.
    private func queue(_ connection: RedisConnection) async throws -> (String, Int64?) {
        for attempt in 0..<2 {
            let type = try await connection.command(["TYPE", queueKey]).stringValue ?? "unknown"
            let command: String
            switch type {
            case "none": return (type, 0)
            case "list": command = "LLEN"
            case "stream": command = "XLEN"
            case "zset": command = "ZCARD"
            case "set": command = "SCARD"
            case "hash": command = "HLEN"
            default: return (type, nil)
            }
            do {
                return (type, try await connection.command([command, queueKey]).int)
            } catch let error as RedisError where error.code == .serverError && error.message.hasPrefix("WRONGTYPE") && attempt == 0 {
                continue
            }
        }
        return ("unknown", nil)
    }
}
