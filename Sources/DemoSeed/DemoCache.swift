import Foundation
import OpsCore
import RedisClient

/// Demo cache keys in the Redis-compatible server, shaped like the auto-i18n application's: what
/// `cache-stats` counts, retention invalidates and snapshots save. Safe to run twice (values are
/// overwritten, the queue is rebuilt). All keys hold `demo` in their value, none in their name, since
/// the application's key names have fixed shapes.
package enum DemoCache {
    /// The session keys' time to live, as the application sets it.
    package static let sessionTTLSeconds = 3600

    /// Seeds the keys and returns how many keys were written.
    ///
    /// - Parameters:
    ///   - configuration: holds `REDIS_URL`.
    ///   - liveSenderIDs: sender ids of sessions that have not expired (`session:<sender_id>` each).
    ///   - queuedBatchIDs: batch ids for the `batch:queue` list.
    package static func seed(configuration: OpsConfiguration, liveSenderIDs: [String], queuedBatchIDs: [String]) async throws -> Int {
        try await Stores.withRedis(configuration) { redis in try await seed(redis, liveSenderIDs: liveSenderIDs, queuedBatchIDs: queuedBatchIDs) }
    }

    private static func seed(_ redis: RedisConnection, liveSenderIDs: [String], queuedBatchIDs: [String]) async throws -> Int {
        var commands: [[String]] = []
        for sender in liveSenderIDs {
            let value = #"{"demo":true,"sender_id":"\#(sender)","status":"active","locales":["fr","de"]}"#
            commands.append(["SET", "session:\(sender)", value, "EX", String(sessionTTLSeconds)])
        }
        commands.append(["SET", "stats:dashboard", #"{"demo":true,"sessions":\#(liveSenderIDs.count),"translations_today":1284}"#, "EX", "300"])
        commands.append(["SET", "stats:providers", #"{"demo":true,"openai":0.97}"#, "EX", "300"])
        for index in 1...20 {
            commands.append(["SET", "api:response:\(hex(index, salt: 17))", #"{"demo":true,"status":200}"#, "EX", "600"])
        }
        let locales = ["fr", "de", "es", "ja", "zh-CN", "pt-BR"]
        for index in 1...30 {
            let locale = locales[index % locales.count]
            commands.append(["SET", "translation:\(locale):\(hex(index, salt: 31))", #"{"demo":true,"text":"…"}"#, "EX", "86400"])
        }
        for sender in liveSenderIDs.prefix(10) {
            commands.append(["SET", "ratelimit:\(sender)", "7", "EX", "60"])
        }
        // Never touch a queue the application already has: demo ids are queued only into an absent key.
        let queueExists = (try? await redis.command(["EXISTS", "batch:queue"]).int).flatMap { $0 } ?? 0
        if queueExists == 0 && !queuedBatchIDs.isEmpty { commands.append(["RPUSH", "batch:queue"] + queuedBatchIDs) }
        do {
            let replies = try await redis.pipeline(commands)
            if let failure = replies.first(where: { if case .error = $0 { return true } else { return false } }) {
                throw OpsError(.jobFailed, "demo cache: the server refused a command: \(failure)")
            }
        } catch {
            throw Stores.opsError(error)
        }
        return commands.filter { $0[0] == "SET" }.count + (commands.contains { $0[0] == "RPUSH" } ? 1 : 0)
    }

    /// A stable 16-hex-digit key part (FNV-1a), like the application's content hashes.
    private static func hex(_ index: Int, salt: Int) -> String {
        let value = AdvisoryLockKey.forName("demo-cache:\(salt):\(index)").value
        return String(UInt64(bitPattern: value), radix: 16)
    }
}
