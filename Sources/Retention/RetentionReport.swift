import Foundation
import OpsCore
import OpsSupport

/// Rows removed per table, as the run history and metrics report them.
package struct TableCounts: Sendable, Equatable {
    package var sessions: Int64 = 0
    package var translationJobs: Int64 = 0
    package var files: Int64 = 0
    package var batches: Int64 = 0
    package var batchRequests: Int64 = 0

    package init() {}

    package static func += (lhs: inout TableCounts, rhs: TableCounts) {
        lhs.sessions += rhs.sessions
        lhs.translationJobs += rhs.translationJobs
        lhs.files += rhs.files
        lhs.batches += rhs.batches
        lhs.batchRequests += rhs.batchRequests
    }

    package static func - (lhs: TableCounts, rhs: TableCounts) -> TableCounts {
        var difference = TableCounts()
        difference.sessions = lhs.sessions - rhs.sessions
        difference.translationJobs = lhs.translationJobs - rhs.translationJobs
        difference.files = lhs.files - rhs.files
        difference.batches = lhs.batches - rhs.batches
        difference.batchRequests = lhs.batchRequests - rhs.batchRequests
        return difference
    }

    package var total: Int64 { sessions + translationJobs + files + batches + batchRequests }

    /// The count of one table by its name (`sessions`, `translation_jobs`, `files`, `batches`,
    /// `batch_requests`); other names read 0 and are not stored.
    package subscript(table table: String) -> Int64 {
        get {
            switch table {
            case "sessions": return sessions
            case "translation_jobs": return translationJobs
            case "files": return files
            case "batches": return batches
            case "batch_requests": return batchRequests
            default: return 0
            }
        }
        set {
            switch table {
            case "sessions": sessions = newValue
            case "translation_jobs": translationJobs = newValue
            case "files": files = newValue
            case "batches": batches = newValue
            case "batch_requests": batchRequests = newValue
            default: break
            }
        }
    }

    var json: JSONValue {
        ["sessions": .int(sessions), "translation_jobs": .int(translationJobs), "files": .int(files),
         "batches": .int(batches), "batch_requests": .int(batchRequests)]
    }
}

/// What a `retention` run did; becomes `ops.job_runs.details` (keys fixed by the metrics exporter).
package struct RetentionReport: Sendable {
    package var dryRun = false
    /// Rows gone for good: expired sessions with everything they owned, and (with
    /// `--delete-archived-batches-after`) archived batch rows.
    package var deleted = TableCounts()
    /// Dry run only: what a real run would delete now.
    package var wouldDelete = TableCounts()
    package var batchesArchived: Int64 = 0
    /// Request rows moved from the database into archives (not counted in `deleted`).
    package var batchRequestsArchived: Int64 = 0
    /// Dry run only.
    package var batchesWouldArchive: Int64 = 0
    package var batchRequestsWouldArchive: Int64 = 0
    package var cacheKeysDeleted: Int64 = 0
    /// `ok`, `failed`, `disabled` (ENABLE_CACHE=false) or `skipped` (nothing to invalidate, dry run).
    package var cacheInvalidation = "skipped"
    package var longestTransactionSeconds = 0.0
    package var transactions = 0
    /// Sessions the application held while we tried them; left for the next run.
    package var sessionsSkippedLocked: Int64 = 0
    package var batchesSkippedLocked: Int64 = 0
    /// Expired sessions / archivable batches still there when the run ended.
    package var expiredSessionsRemaining: Int64?
    package var batchesArchivableRemaining: Int64?
    /// The run stopped at `--max-runtime` with work left.
    package var stoppedAtMaxRuntime = false
    /// Tables vacuumed after the deletions (`--vacuum`), and how long that took.
    package var vacuumed: [String] = []
    package var vacuumSeconds = 0.0

    package init() {}

    package var details: JSONValue {
        var object: [String: JSONValue] = [
            "deleted": deleted.json,
            "batches_archived": .int(batchesArchived),
            "batch_requests_archived": .int(batchRequestsArchived),
            "cache_keys_deleted": .int(cacheKeysDeleted),
            "cache_invalidation": .string(cacheInvalidation),
            "longest_transaction_seconds": .double((longestTransactionSeconds * 1e6).rounded() / 1e6),
            "transactions": .int(Int64(transactions)),
            "sessions_skipped_locked": .int(sessionsSkippedLocked),
            "batches_skipped_locked": .int(batchesSkippedLocked),
            "stopped_at_max_runtime": .bool(stoppedAtMaxRuntime),
            "dry_run": .bool(dryRun),
            "vacuumed": .array(vacuumed.map { .string($0) }),
            "vacuum_seconds": .double((vacuumSeconds * 1e3).rounded() / 1e3),
        ]
        if let expiredSessionsRemaining { object["expired_sessions_remaining"] = .int(expiredSessionsRemaining) }
        if let batchesArchivableRemaining { object["archivable_batches_remaining"] = .int(batchesArchivableRemaining) }
        if dryRun {
            object["would_delete"] = wouldDelete.json
            object["batches_would_archive"] = .int(batchesWouldArchive)
            object["batch_requests_would_archive"] = .int(batchRequestsWouldArchive)
        }
        return .object(object)
    }

    /// The human summary `retention` prints without `--json`.
    package static func summary(_ details: JSONValue) -> String {
        func number(_ value: JSONValue?) -> String { value?.intValue.map(String.init) ?? "0" }
        let tables = ["sessions", "translation_jobs", "files", "batches", "batch_requests"]
        var lines: [String] = []
        if details["dry_run"] == .bool(true) {
            let would = details["would_delete"]
            lines.append("dry run: nothing was changed")
            lines.append("would delete: " + tables.map { "\($0) \(number(would?[$0]))" }.joined(separator: ", "))
            lines.append("would archive: \(number(details["batches_would_archive"])) batches (\(number(details["batch_requests_would_archive"])) requests)")
            return lines.joined(separator: "\n")
        }
        let deleted = details["deleted"]
        lines.append("deleted: " + tables.map { "\($0) \(number(deleted?[$0]))" }.joined(separator: ", "))
        lines.append("archived: \(number(details["batches_archived"])) batches (\(number(details["batch_requests_archived"])) requests)")
        lines.append("cache keys deleted: \(number(details["cache_keys_deleted"])) (\(details["cache_invalidation"]?.stringValue ?? "-"))")
        let longest = details["longest_transaction_seconds"]?.doubleValue ?? 0
        lines.append("longest transaction: \(String(format: "%.3f", longest)) s over \(number(details["transactions"])) transactions")
        if case .array(let tables)? = details["vacuumed"], !tables.isEmpty {
            let names = tables.compactMap(\.stringValue).joined(separator: ", ")
            lines.append("vacuumed: \(names) in \(String(format: "%.1f", details["vacuum_seconds"]?.doubleValue ?? 0)) s")
        }
        let skipped = (details["sessions_skipped_locked"]?.intValue ?? 0) + (details["batches_skipped_locked"]?.intValue ?? 0)
        if skipped > 0 { lines.append("left for the next run (held by the application): \(skipped)") }
        return lines.joined(separator: "\n")
    }
}
