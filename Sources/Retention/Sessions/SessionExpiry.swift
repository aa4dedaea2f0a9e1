import Foundation
import Logging
import PGClient

/// Deletes expired sessions (`expires_at` in the past) with their jobs, files, batches and batch
/// requests, in bounded transactions that never wait on rows the application holds.
///
/// `expires_at` is the only criterion: the application sets it (its column default is creation + 30 days,
/// which is `SESSION_EXPIRY_DAYS`) and may extend it, so a session is never deleted while its
/// `expires_at` is in the future, however old it is.
enum SessionExpiry {
    /// One committed batch.
    struct Batch {
        var counts = TableCounts()
        var senderIDs: [String] = []
    }

    /// Deletes batch after batch until no unlocked expired session is left or `deadline` passes.
    ///
    /// - Parameters:
    ///   - transactions: runs and times each transaction.
    ///   - options: batch size and reference time.
    ///   - logger: notices about contested batches.
    ///   - report: receives the counts.
    ///   - deadline: no new transaction starts after it.
    ///   - afterCommit: called with each committed batch's sender ids (cache invalidation), so keys of
    ///     deleted sessions go even if a later batch fails.
    static func run(transactions: inout BoundedTransaction, options: RetentionOptions, logger: Logger,
                    report: inout RetentionReport, deadline: ContinuousClock.Instant,
                    afterCommit: ([String]) async -> Void) async throws {
        // Sessions we could not lock in this run; excluded so the loop moves past them.
        var leftAlone: [Int64] = []
        while ContinuousClock.now < deadline {
            let batch: Batch
            do {
                batch = try await deleteBatch(&transactions, limit: options.batchSize, excluding: leftAlone, only: nil,
                                              referenceTime: options.referenceTime)
            } catch where BoundedTransaction.isContention(error) {
                // A child row (a job, file or request) is held by the application. Retry this batch one
                // session at a time so the one busy session does not hold back the others.
                logger.notice("a batch of expired sessions met a lock; retrying it one session at a time", metadata: ["error": "\(error)"])
                let candidates = try await transactions.connection.query(
                    candidatesSQL, [options.batchSize, leftAlone, options.referenceTime])
                    .rows.map { try $0.decode(Int64.self, "id") }
                if candidates.isEmpty { break }
                for id in candidates {
                    guard ContinuousClock.now < deadline else { report.stoppedAtMaxRuntime = true; return }
                    do {
                        let one = try await deleteBatch(&transactions, limit: 1, excluding: [], only: [id],
                                                        referenceTime: options.referenceTime)
                        if one.counts.sessions == 0 { leftAlone.append(id) }  // locked: SKIP LOCKED passed it over
                        report.deleted += one.counts
                        if !one.senderIDs.isEmpty { await afterCommit(one.senderIDs) }
                    } catch where BoundedTransaction.isContention(error) {
                        leftAlone.append(id)
                        report.sessionsSkippedLocked += 1
                    }
                }
                continue
            }
            report.deleted += batch.counts
            if !batch.senderIDs.isEmpty { await afterCommit(batch.senderIDs) }
            logger.debug("deleted a batch of expired sessions", metadata: ["sessions": "\(batch.counts.sessions)"])
            // Fewer than asked: the rest is locked by the application (or gone); the next run gets it.
            if batch.counts.sessions < options.batchSize { return }
        }
        report.stoppedAtMaxRuntime = true
    }

    private static func deleteBatch(_ transactions: inout BoundedTransaction, limit: Int, excluding: [Int64], only: [Int64]?,
                                    referenceTime: Date?) async throws -> Batch {
        let connection = transactions.connection
        return try await transactions.run {
            let row = try await connection.query(deleteBatchSQL, [limit, excluding, referenceTime, only]).first
            guard let row else { return Batch() }
            var batch = Batch()
            batch.counts.sessions = try row.decode(Int64.self, "sessions")
            batch.counts.translationJobs = try row.decode(Int64.self, "translation_jobs")
            batch.counts.files = try row.decode(Int64.self, "files")
            batch.counts.batches = try row.decode(Int64.self, "batches")
            batch.counts.batchRequests = try row.decode(Int64.self, "batch_requests")
            batch.senderIDs = try row.decode([String].self, "sender_ids")
            return batch
        }
    }

    /// What a real run would delete now (dry run).
    static func count(connection: PostgresConnection, referenceTime: Date?) async throws -> TableCounts {
        let row = try await connection.query(countSQL, [referenceTime]).first
        var counts = TableCounts()
        guard let row else { return counts }
        counts.sessions = try row.decode(Int64.self, "sessions")
        counts.translationJobs = try row.decode(Int64.self, "translation_jobs")
        counts.files = try row.decode(Int64.self, "files")
        counts.batches = try row.decode(Int64.self, "batches")
        counts.batchRequests = try row.decode(Int64.self, "batch_requests")
        return counts
    }

    /// Expired sessions left after the run (locked ones, or those past the deadline).
    static func remaining(connection: PostgresConnection, referenceTime: Date?) async throws -> Int64 {
        try await connection.query(remainingSQL, [referenceTime]).first?.decode(Int64.self, "n") ?? 0
    }
}
