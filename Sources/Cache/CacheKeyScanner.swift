import Foundation
import OpsCore
import OpsSupport
import RedisClient

/// Counts keys per family with `SCAN cursor COUNT n` (never `KEYS`, which blocks the server), bounded
/// in time: when `maxTime` passes before the cursor returns to 0, the counts are partial and say so.
///
/// `SCAN` may return a key more than once (when the table is resized mid-scan), so keys are
/// de-duplicated by a 64-bit hash of their bytes while fewer than `dedupLimit` have been seen; past
/// that (a very large keyspace) the counts are reported as possibly over-counted instead of holding
/// every key's hash in memory.
package struct CacheKeyScanner: Sendable {
    /// What one scan found.
    package struct Counts: Sendable, Hashable {
        package var perFamily: [CacheKeyFamily: Int64] = [:]
        /// Distinct keys counted.
        package var scanned: Int64 = 0
        /// The cursor came back to 0 before the time limit.
        package var complete = false
        /// Duplicates may be counted (the de-duplication limit was reached).
        package var mayHaveDuplicates = false
        /// `SCAN` round trips.
        package var calls = 0
    }

    package var maxTime: Duration
    package var count: Int
    package var dedupLimit: Int

    package init(maxTime: Duration = .seconds(10), count: Int = 1000, dedupLimit: Int = 5_000_000) {
        self.maxTime = maxTime
        self.count = count
        self.dedupLimit = dedupLimit
    }

    /// Scans the connection's database.
    package func scan(_ connection: RedisConnection) async throws -> Counts {
        let clock = ContinuousClock()
        let deadline = clock.now + maxTime
        var counts = Counts()
        var seen = Set<Int>()
        var cursor = "0"
        repeat {
            let reply = try await connection.command(["SCAN", cursor, "COUNT", String(count)])
            counts.calls += 1
            guard let parts = reply.array, parts.count == 2, let next = parts[0].stringValue, let keys = parts[1].array else {
                throw OpsError(.jobFailed, "cache stats: \(connection.url.server) answered SCAN with \(reply)")
            }
            for key in keys {
                guard let bytes = key.bytes else { continue }
                if !counts.mayHaveDuplicates {
                    var hasher = Hasher()
                    hasher.combine(bytes)
                    if !seen.insert(hasher.finalize()).inserted { continue }
                    if seen.count >= dedupLimit {
                        counts.mayHaveDuplicates = true
                        seen = []
                    }
                }
                counts.scanned += 1
                counts.perFamily[CacheKeyFamily.classify(bytes), default: 0] += 1
            }
            cursor = next
            if cursor == "0" { counts.complete = true }
        } while !counts.complete && clock.now < deadline
        return counts
    }
}
