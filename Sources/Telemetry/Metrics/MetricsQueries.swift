import Foundation
import OpsCore
import OpsSupport
import PGClient
import Prometheus

/// The SQL behind the database-derived metrics: a handful of index-backed queries per refresh.
struct MetricsQueries {
    let connection: PostgresConnection
    let metrics: OpsMetrics

    /// Where counting starts: the oldest run of the last two minutes (or the next id), and the runs
    /// still going. Called once; the first refresh then reads a few minutes of rows at most.
    func startTracker(processStart: Date) async throws -> JobRunTracker {
        let row = try await connection.query(Self.startTrackerSQL, [processStart])
        guard let row = row.first else { return JobRunTracker(watermark: 1, running: []) }
        return JobRunTracker(watermark: try row.decode(Int64.self, "watermark"), running: try row.decode([Int64].self, "running"))
    }

    /// Counts the runs that ended since the last refresh.
    func countNewRuns(_ tracker: inout JobRunTracker, processStart: Date) async throws {
        let result = try await connection.query(Self.countNewRunsSQL, [tracker.watermark, Array(tracker.pending), processStart])
        let rows = try result.rows.map { row in
            JobRunTracker.Row(
                id: try row.decode(Int64.self, "id"), job: try row.decode(String.self, "job"),
                status: try row.decode(String.self, "status"), duration: try row.decode(Double?.self, "duration"),
                reason: try row.decode(String?.self, "reason"),
                details: try row.decode(String?.self, "details").flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) },
                recent: try row.decode(Bool.self, "recent"), endedBeforeStart: try row.decode(Bool.self, "before_start"))
        }
        for run in tracker.ingest(rows) { count(run) }
    }

    private func count(_ run: JobRunTracker.Row) {
        metrics.register(jobs: [run.job])
        metrics.counter(OpsMetrics.jobRuns, [run.job, run.status]).increment()
        if run.status == "skipped" {
            metrics.counter(OpsMetrics.jobSkipped, [run.job, run.reason == "shutdown" ? "shutdown" : "locked"]).increment()
        } else if let duration = run.duration {
            metrics.histogram(run.job).record(duration)
        }
        guard run.job == "retention", let details = run.details else { return }
        if case .object(let deleted)? = details["deleted"] {
            for (table, value) in deleted {
                guard let rows = value.doubleValue, rows > 0 else { continue }
                metrics.counter(OpsMetrics.retentionDeleted, [table]).increment(by: rows)
            }
        }
        if let archived = details["batches_archived"]?.doubleValue, archived > 0 {
            metrics.counter(OpsMetrics.retentionArchived).increment(by: archived)
        }
        if let keys = details["cache_keys_deleted"]?.doubleValue, keys > 0 {
            metrics.counter(OpsMetrics.retentionCacheKeys).increment(by: keys)
        }
    }

    /// Last run, last success, consecutive failures and running state per job, and the figures of the
    /// latest successful backup, snapshot and cache-stats runs. Each lateral subquery walks the
    /// (job, started_at DESC) index from the newest row.
    func jobGauges(jobs: [String]) async throws {
        let result = try await connection.query(Self.jobGaugesSQL, [jobs])
        for row in result.rows {
            let job = try row.decode(String.self, "job")
            metrics.set(OpsMetrics.jobLastRun, try row.decode(Double?.self, "last_run") ?? 0, [job])
            metrics.set(OpsMetrics.jobLastDuration, try row.decode(Double?.self, "last_duration") ?? 0, [job])
            let lastSuccess = try row.decode(Double?.self, "last_success")
            metrics.set(OpsMetrics.jobLastSuccess, lastSuccess ?? 0, [job])
            metrics.set(OpsMetrics.jobConsecutiveFailures, Double(try row.decode(Int64.self, "failures")), [job])
            let details = try row.decode(String?.self, "details").flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
            jobFigures(job, details: details, lastSuccess: lastSuccess, duration: try row.decode(Double?.self, "success_duration"))
        }

        // Running = the job's advisory lock is held by any session on this database (any replica, any
        // cron one-shot), which a crashed process's leftover 'running' row cannot fake.
        let locks = try await connection.query(Self.heldJobLocksSQL)
        let held = Set(try locks.rows.map { try $0.decode(Int64.self, "key") })
        for job in jobs {
            metrics.set(OpsMetrics.jobRunning, held.contains(AdvisoryLockKey.forName("job:\(job)").value) ? 1 : 0, [job])
        }
    }

    /// The figures of the latest successful run of the jobs that report them (keys in the helpers' brief).
    private func jobFigures(_ job: String, details: JSONValue?, lastSuccess: Double?, duration: Double?) {
        switch job {
        case "backup":
            metrics.set(OpsMetrics.backupSuccess, lastSuccess ?? 0)
            guard let details else { return }
            if let bytes = details["bytes"]?.doubleValue { metrics.set(OpsMetrics.backupSize, bytes) }
            if let seconds = details["duration_seconds"]?.doubleValue ?? duration { metrics.set(OpsMetrics.backupDuration, seconds) }
        case "snapshot":
            metrics.set(OpsMetrics.snapshotSuccess, lastSuccess ?? 0)
            guard let details else { return }
            if let bytes = details["bytes"]?.doubleValue { metrics.set(OpsMetrics.snapshotSize, bytes) }
            if let seconds = details["duration_seconds"]?.doubleValue ?? duration { metrics.set(OpsMetrics.snapshotDuration, seconds) }
        case "cache-stats":
            guard let details else { return }
            if case .object(let keys)? = details["keys"] {
                for (type, value) in keys { if let count = value.doubleValue { metrics.set(OpsMetrics.cacheKeys, count, [type]) } }
            }
            let gauges: [(String, OpsMetrics.Family)] = [
                ("batch_queue_length", OpsMetrics.cacheQueue), ("used_memory_bytes", OpsMetrics.cacheUsedMemory),
                ("maxmemory_bytes", OpsMetrics.cacheMaxMemory), ("evicted_keys", OpsMetrics.cacheEvicted),
                ("hit_ratio", OpsMetrics.cacheHitRatio),
            ]
            for (key, family) in gauges { if let value = details[key]?.doubleValue { metrics.set(family, value) } }
        default:
            break
        }
    }

    /// Sessions by status, expired sessions, batches due for archival, table sizes.
    func applicationGauges(batchArchiveDays: Int) async throws {
        let statuses = try await connection.query("SELECT status, count(*) AS n FROM public.sessions GROUP BY status")
        var counts = Dictionary(uniqueKeysWithValues: OpsMetrics.sessionStatuses.map { ($0, 0.0) })
        for row in statuses.rows { counts[try row.decode(String.self, "status")] = Double(try row.decode(Int64.self, "n")) }
        for (status, count) in counts { metrics.set(OpsMetrics.sessions, count, [status]) }

        let row = try await connection.query(Self.applicationGaugesSQL, [batchArchiveDays])
        guard let row = row.first else { return }
        metrics.set(OpsMetrics.sessionsExpired, Double(try row.decode(Int64.self, "expired")))
        metrics.set(OpsMetrics.batchesAwaitingArchival, Double(try row.decode(Int64.self, "archivable")))
        for table in OpsMetrics.sizedTables {
            metrics.set(OpsMetrics.tableSize, Double(try row.decode(Int64.self, table)), [table])
        }
    }
}
