import Foundation
import OpsCore
import OpsSupport
import RedisClient

/// Checks the Redis-compatible server (DragonflyDB in production, redis-server in tests): reachability,
/// PING, role, memory, evictions and the last successful snapshot.
struct RedisHealth {
    let configuration: OpsConfiguration
    let thresholds: HealthThresholds

    func checks(now: Date = Date()) async -> [HealthCheck] {
        let clock = ContinuousClock()
        let start = clock.now
        let connection: RedisConnection
        do {
            connection = try await Stores.redis(configuration, commandTimeout: .seconds(5))
        } catch {
            let mapped = Stores.opsError(error)
            if let opsError = mapped as? OpsError, opsError.code == .configuration {
                return [HealthCheck(key: "redis:configuration", componentType: "datastore", status: .fail, output: opsError.message)]
            }
            return [HealthCheck(key: "redis:connection", componentType: "datastore", status: .fail,
                                output: "Redis server is unreachable: \(mapped)")]
        }
        defer { connection.close() }
        var checks = [HealthCheck(key: "redis:connection", componentType: "datastore", observedValue: .double(milliseconds(clock.now - start)), observedUnit: "ms")]
        do {
            let pingStart = clock.now
            _ = try await connection.command(["PING"])
            let ping = milliseconds(clock.now - pingStart)
            checks.append(HealthCheck(key: "redis:responseTime", componentType: "datastore",
                                      status: ping > thresholds.responseTimeWarnMs ? .warn : .pass,
                                      observedValue: .double(ping), observedUnit: "ms"))
            let info = try await connection.info("replication")
                .merging(try await connection.info("memory"), uniquingKeysWith: { first, _ in first })
                .merging(try await connection.info("stats"), uniquingKeysWith: { first, _ in first })
                .merging(try await connection.info("server"), uniquingKeysWith: { first, _ in first })
            let persistence = try await connection.info("persistence")
            let product = info["dragonfly_version"].map { "dragonfly \($0)" } ?? info["redis_version"].map { "redis \($0)" } ?? "unknown"
            checks.append(HealthCheck(key: "redis:version", componentType: "datastore", observedValue: .string(product)))
            checks.append(HealthCheck(key: "redis:role", componentType: "datastore", observedValue: .string(info["role"] ?? "unknown")))
            let used = Int64(info["used_memory"] ?? "") ?? 0
            let maxMemory = Int64(info["maxmemory"] ?? "") ?? 0
            if maxMemory > 0 {
                let share = Double(used) / Double(maxMemory)
                checks.append(HealthCheck(key: "redis:memory", componentType: "datastore",
                                          status: share >= thresholds.memoryFail ? .fail : share >= thresholds.memoryWarn ? .warn : .pass,
                                          observedValue: .int(used), observedUnit: "bytes of \(maxMemory)",
                                          output: share >= thresholds.memoryWarn ? String(format: "%.0f%% of maxmemory used", share * 100) : nil))
            } else {
                checks.append(HealthCheck(key: "redis:memory", componentType: "datastore", observedValue: .int(used), observedUnit: "bytes (no maxmemory)"))
            }
            checks.append(HealthCheck(key: "redis:evictedKeys", componentType: "datastore", observedValue: .int(Int64(info["evicted_keys"] ?? "") ?? 0)))
            checks.append(snapshotCheck(persistence, now: now))
        } catch {
            checks.append(HealthCheck(key: "redis:query", componentType: "datastore", status: .fail, output: "\(Stores.opsError(error))"))
        }
        return checks
    }

    /// Dragonfly reports `last_success_save` (start of the last good save) and `saving`; Redis reports
    /// `rdb_last_save_time` and `rdb_bgsave_in_progress`.
    func snapshotCheck(_ persistence: [String: String], now: Date) -> HealthCheck {
        let last = Double(persistence["last_success_save"] ?? persistence["rdb_last_save_time"] ?? "")
        let saving = (persistence["saving"] ?? persistence["rdb_bgsave_in_progress"]) == "1"
        let lastStatus = persistence["rdb_last_bgsave_status"]
        guard let last, last > 0 else {
            return HealthCheck(key: "redis:lastSnapshot", componentType: "datastore", status: thresholds.snapshotAgeWarn > 0 ? .warn : .pass,
                               output: "the server reports no successful snapshot")
        }
        let age = now.timeIntervalSince1970 - last
        var status: HealthStatus = .pass
        var notes: [String] = []
        if thresholds.snapshotAgeWarn > 0 && age > thresholds.snapshotAgeWarn {
            status = .warn
            notes.append("last successful snapshot \(Int(age)) s ago")
        }
        if lastStatus == "err" {
            status = .warn
            notes.append("the last background save failed")
        }
        if saving { notes.append("a save is in progress") }
        return HealthCheck(key: "redis:lastSnapshot", componentType: "datastore", status: status,
                           observedValue: .int(Int64(last)), observedUnit: "unix time",
                           output: notes.isEmpty ? nil : notes.joined(separator: "; "))
    }
}
