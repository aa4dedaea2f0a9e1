import Foundation
import OpsCore
import OpsSupport

/// What `cache stats` reports about the DragonflyDB/Redis cache.
package struct CacheStats: Sendable {
    /// `redis://host:port/db` without credentials.
    package var server: String
    package var product: String
    package var counts: CacheKeyScanner.Counts
    /// `DBSIZE` of the scanned database, for comparison with a partial scan.
    package var databaseSize: Int64?
    /// The queue key and its type (`list`, `stream`, …, `none` when absent).
    package var queueKey: String
    package var queueType: String
    /// Its length (`LLEN`, `XLEN`, …); 0 when absent.
    package var queueLength: Int64?
    package var usedMemory: Int64?
    /// 0 means no limit.
    package var maxMemory: Int64?
    package var evictedKeys: Int64?
    package var keyspaceHits: Int64?
    package var keyspaceMisses: Int64?
    package var scanDuration: Duration

    /// hits / (hits + misses), or `nil` before the first lookup.
    package var hitRatio: Double? {
        guard let hits = keyspaceHits, let misses = keyspaceMisses, hits + misses > 0 else { return nil }
        return Double(hits) / Double(hits + misses)
    }

    /// `ops.job_runs.details` (brief keys: keys{…}, batch_queue_length, used_memory_bytes,
    /// maxmemory_bytes, evicted_keys, hit_ratio), plus `partial`, `scanned_keys`, `other` and `dbsize`.
    package var details: JSONValue {
        var keys: [String: JSONValue] = [:]
        for family in CacheKeyFamily.allCases { keys[family.rawValue] = .int(counts.perFamily[family] ?? 0) }
        var details: [String: JSONValue] = [
            "keys": .object(keys),
            "scanned_keys": .int(counts.scanned),
            "partial": .bool(!counts.complete),
            "scan_seconds": .double((scanDuration.inSeconds * 1000).rounded() / 1000),
            "batch_queue_type": .string(queueType),
            "server_version": .string(product),
            "server": .string(server),
            "batch_queue_key": .string(queueKey),
        ]
        if counts.mayHaveDuplicates { details["may_have_duplicates"] = .bool(true) }
        if let databaseSize { details["dbsize"] = .int(databaseSize) }
        if let queueLength { details["batch_queue_length"] = .int(queueLength) }
        if let usedMemory { details["used_memory_bytes"] = .int(usedMemory) }
        if let maxMemory { details["maxmemory_bytes"] = .int(maxMemory) }
        if let evictedKeys { details["evicted_keys"] = .int(evictedKeys) }
        if let keyspaceHits { details["keyspace_hits"] = .int(keyspaceHits) }
        if let keyspaceMisses { details["keyspace_misses"] = .int(keyspaceMisses) }
        details["hit_ratio"] = hitRatio.map { .double(($0 * 10000).rounded() / 10000) } ?? .null
        return .object(details)
    }

    /// The terminal table.
    package var table: String { Self.table(details) }

    /// The terminal table, from the details a run recorded (so `--json` and history carry no text).
    package static func table(_ details: JSONValue) -> String {
        func int(_ key: String) -> Int64? { details[key]?.intValue }
        var rows: [(String, String)] = []
        for family in CacheKeyFamily.allCases {
            let label = family.prefix.map { "\($0)*" } ?? "other"
            rows.append((label, String(details["keys"]?[family.rawValue]?.intValue ?? 0)))
        }
        var total = "\(int("scanned_keys") ?? 0)"
        if details["partial"] == .bool(true) {
            total += " (PARTIAL: scan stopped after \(DurationText.format(seconds: details["scan_seconds"]?.doubleValue ?? 0))"
            if let size = int("dbsize") { total += "; DBSIZE \(size)" }
            total += ")"
        } else if details["may_have_duplicates"] == .bool(true) {
            total += " (may include duplicates)"
        }
        rows.append(("total", total))
        let queueType = details["batch_queue_type"]?.stringValue ?? "unknown"
        rows.append((details["batch_queue_key"]?.stringValue ?? "batch:queue",
                     queueType == "none" ? "absent" : "\(int("batch_queue_length").map(String.init) ?? "?") (\(queueType))"))
        if let used = int("used_memory_bytes") {
            var memory = ByteCount.format(used)
            if let max = int("maxmemory_bytes"), max > 0 {
                memory += " of \(ByteCount.format(max)) maxmemory (" + String(format: "%.1f%%", Double(used) / Double(max) * 100) + ")"
            } else {
                memory += " (no maxmemory)"
            }
            rows.append(("memory", memory))
        }
        rows.append(("evicted keys", int("evicted_keys").map(String.init) ?? "unknown"))
        if let ratio = details["hit_ratio"]?.doubleValue {
            rows.append(("hit ratio", String(format: "%.1f%%", ratio * 100) + " (\(int("keyspace_hits") ?? 0) hits, \(int("keyspace_misses") ?? 0) misses)"))
        } else {
            rows.append(("hit ratio", "n/a (no lookups yet)"))
        }
        let width = rows.map(\.0.count).max() ?? 0
        let header = "cache on \(details["server"]?.stringValue ?? "?") (\(details["server_version"]?.stringValue ?? "?"))"
        return ([header] + rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }).joined(separator: "\n")
    }
}
