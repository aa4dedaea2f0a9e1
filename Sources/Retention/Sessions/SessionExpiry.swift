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
        /// The batch's lowest session in (expires_at, id) order: the next batch continues below it.
        var last: Cursor?
    }

    /// Where the previous batch ended: its last (expires_at, id), in PostgreSQL's text for the timestamp
    /// so it goes back exactly.
    struct Cursor {
        var expiresAt: String
        var id: Int64
    }

    /// Deletes batch after batch until no unlocked expired session is left or `deadline` passes.
    ///
    /// - Parameters:
    ///   - transactions: runs and times each transaction.
    ///   - options: batch size and reference time.
    ///   - logger: notices about contested batches.
    ///   - report: receives the counts.
    ///   - deadline: no new transaction starts after it.
    ///   - wantSenders: whether `afterCommit` needs the sender ids (not when the cache is disabled).
    ///   - afterCommit: called with each committed batch's sender ids (cache invalidation), so keys of
    ///     deleted sessions go even if a later batch fails.
    ///   - start: delete below this session (nil: from the most recently expired one).
    ///   - floor: delete down to this session, inclusive (nil: down to the oldest).
    static func run(transactions: inout BoundedTransaction, options: RetentionOptions, logger: Logger,
                    report: inout RetentionReport, deadline: ContinuousClock.Instant, wantSenders: Bool,
                    start: Cursor? = nil, floor: Cursor? = nil,
                    afterCommit: ([String]) async -> Void) async throws {
        var cursor = start
        while ContinuousClock.now < deadline {
            let batch: Batch
            do {
                batch = try await deleteBatch(&transactions, limit: options.batchSize, after: cursor, only: nil, floor: floor,
                                              referenceTime: options.referenceTime, wantSenders: wantSenders)
            } catch where BoundedTransaction.isContention(error) {
                // A child row (a job, file or request) is held by the application. Retry this stretch one
                // session at a time so the one busy session does not hold back the others.
                logger.notice("a batch of expired sessions met a lock; retrying it one session at a time", metadata: ["error": "\(error)"])
                let candidates = try await transactions.connection.query(
                    candidatesSQL, [options.batchSize, options.referenceTime, cursor?.expiresAt, cursor?.id, floor?.expiresAt, floor?.id])
                    .rows.map { Cursor(expiresAt: try $0.decode(String.self, "expires_at"), id: try $0.decode(Int64.self, "id")) }
                if candidates.isEmpty { return }
                for candidate in candidates {
                    guard ContinuousClock.now < deadline else { report.stoppedAtMaxRuntime = true; return }
                    do {
                        let one = try await deleteBatch(&transactions, limit: 1, after: nil, only: [candidate.id], floor: nil,
                                                        referenceTime: options.referenceTime, wantSenders: wantSenders)
                        report.deleted += one.counts
                        if !one.senderIDs.isEmpty { await afterCommit(one.senderIDs) }
                    } catch where BoundedTransaction.isContention(error) {
                        report.sessionsSkippedLocked += 1
                    }
                    cursor = candidate
                }
                continue
            }
            report.deleted += batch.counts
            if !batch.senderIDs.isEmpty { await afterCommit(batch.senderIDs) }
            logger.debug("deleted a batch of expired sessions", metadata: ["sessions": "\(batch.counts.sessions)"])
            // Fewer than asked: nothing unlocked is left after the cursor; the next run takes the rest.
            guard batch.counts.sessions == options.batchSize, let last = batch.last else { return }
            cursor = last
        }
        report.stoppedAtMaxRuntime = true
    }

    private static func deleteBatch(_ transactions: inout BoundedTransaction, limit: Int, after cursor: Cursor?, only: [Int64]?,
                                    floor: Cursor?, referenceTime: Date?, wantSenders: Bool) async throws -> Batch {
        // One statement, its own transaction: a single round trip per batch.
        let row = try await transactions.statement(deleteBatchSQL, [limit, referenceTime, cursor?.expiresAt, cursor?.id, only, wantSenders,
                                                                    floor?.expiresAt, floor?.id]).first
        guard let row else { return Batch() }
        var batch = Batch()
        batch.counts.sessions = try row.decode(Int64.self, "sessions")
        batch.counts.translationJobs = try row.decode(Int64.self, "translation_jobs")
        batch.counts.files = try row.decode(Int64.self, "files")
        batch.counts.batches = try row.decode(Int64.self, "batches")
        batch.counts.batchRequests = try row.decode(Int64.self, "batch_requests")
        if let json = try row.decode(String?.self, "sender_ids") {
            // JSON rather than a text[] literal: Foundation's decoder is much cheaper per batch.
            batch.senderIDs = try JSONDecoder().decode([String].self, from: Data(json.utf8))
        }
        if let expiresAt = try row.decode(String?.self, "last_expires_at"), let id = try row.decode(Int64?.self, "last_id") {
            batch.last = Cursor(expiresAt: expiresAt, id: id)
        }
        return batch
    }

    /// The expired session with `keep` older ones below it, or nil when there are no more than `keep`.
    static func floor(connection: PostgresConnection, referenceTime: Date?, keep: Int) async throws -> Cursor? {
        guard let row = try await connection.query(floorSQL, [referenceTime, keep]).first else { return nil }
        return Cursor(expiresAt: try row.decode(String.self, "expires_at"), id: try row.decode(Int64.self, "id"))
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
