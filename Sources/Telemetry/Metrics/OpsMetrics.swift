import Foundation
import OpsCore
import OpsSupport
import Prometheus

/// Every metric `/metrics` exports, by name, type, labels and help, over one
/// `PrometheusCollectorRegistry`. Names follow Prometheus conventions: prefix `auto_i18n_ops_`, base
/// units (`_seconds`, `_bytes`), `_total` for counters, `_timestamp_seconds` for Unix times.
///
/// The label for a job is `ops_job`, not `job`: Prometheus attaches its own `job` label (the scrape job)
/// to every series, and an exported `job` would be renamed `exported_job`.
package final class OpsMetrics: Sendable {
    package let registry = PrometheusCollectorRegistry()
    private let registeredJobs = LockedBox<Set<String>>([])

    /// A metric family: its name, help and label names, so every series of it is made the same way
    /// (the registry refuses a family whose help or label names change).
    package struct Family: Sendable {
        package let name: String
        package let help: String
        package let labels: [String]
    }

    // MARK: Jobs (from ops.job_runs, so every replica and cron one-shot counts)
    package static let jobRuns = Family(name: "job_runs_total", help: "Runs that ended, by job and result (succeeded, warning, failed, skipped, interrupted: a running row whose run was gone), counted since this process started.", labels: ["ops_job", "result"])
    package static let jobSkipped = Family(name: "job_skipped_total", help: "Slots that did not run, by reason: locked (the job was still running somewhere), claimed (another replica ran the slot), missed (the slot passed while this daemon could not fire it), shutdown (the daemon stopped before the run started), unclaimed (PostgreSQL was unreachable, so the slot could not be claimed and did not run).", labels: ["ops_job", "reason"])
    package static let jobDuration = Family(name: "job_duration_seconds", help: "Duration of runs that ended (not skipped), counted since this process started.", labels: ["ops_job"])
    package static let jobLastRun = Family(name: "job_last_run_timestamp_seconds", help: "When the job's last run (succeeded, warning or failed) ended; 0 = never.", labels: ["ops_job"])
    package static let jobLastSuccess = Family(name: "job_last_success_timestamp_seconds", help: "When the job last ended successfully (succeeded or warning); 0 = never.", labels: ["ops_job"])
    package static let jobLastDuration = Family(name: "job_last_duration_seconds", help: "Duration of the job's last run that ended.", labels: ["ops_job"])
    package static let jobConsecutiveFailures = Family(name: "job_consecutive_failures", help: "Failed runs of the job since its last success.", labels: ["ops_job"])
    package static let jobRunning = Family(name: "job_running", help: "1 while the job runs anywhere (its advisory lock is held), else 0.", labels: ["ops_job"])

    // MARK: Stores
    package static let postgresUp = Family(name: "postgres_up", help: "1 when PostgreSQL answered the last refresh, else 0.", labels: [])
    package static let postgresPing = Family(name: "postgres_ping_seconds", help: "Round trip of SELECT 1 at the last refresh.", labels: [])
    package static let redisUp = Family(name: "redis_up", help: "1 when the Redis-compatible server (DragonflyDB) answered PING at the last refresh, else 0.", labels: [])
    package static let redisPing = Family(name: "redis_ping_seconds", help: "Round trip of PING at the last refresh.", labels: [])

    // MARK: Job figures (latest successful run's details)
    package static let backupSize = Family(name: "backup_last_size_bytes", help: "Size of the last successful backup.", labels: [])
    package static let backupDuration = Family(name: "backup_last_duration_seconds", help: "Duration of the last successful backup.", labels: [])
    package static let repositoryAvailable = Family(name: "backup_repository_available_bytes", help: "Bytes still writable on the filesystem of the local backup repository (BACKUP_REPO), as df shows them; absent for an object-storage repository.", labels: [])
    package static let repositorySize = Family(name: "backup_repository_size_bytes", help: "Size of the filesystem of the local backup repository (BACKUP_REPO); absent for an object-storage repository.", labels: [])
    package static let backupSuccess = Family(name: "backup_last_success_timestamp_seconds", help: "When the last successful backup ended; 0 = never.", labels: [])
    package static let retentionDeleted = Family(name: "retention_deleted_rows_total", help: "Rows deleted by retention, by table, counted since this process started.", labels: ["table"])
    package static let retentionArchived = Family(name: "retention_batches_archived_total", help: "Finished batches archived by retention, counted since this process started.", labels: [])
    package static let retentionCacheKeys = Family(name: "retention_cache_keys_deleted_total", help: "Cache keys deleted by retention, counted since this process started.", labels: [])
    package static let snapshotSuccess = Family(name: "snapshot_last_success_timestamp_seconds", help: "When the last successful cache snapshot ended; 0 = never.", labels: [])
    package static let snapshotDuration = Family(name: "snapshot_last_duration_seconds", help: "Duration of the last successful cache snapshot.", labels: [])
    package static let snapshotSize = Family(name: "snapshot_last_size_bytes", help: "Size of the last successful cache snapshot file.", labels: [])
    package static let cacheKeys = Family(name: "cache_keys", help: "Cache keys by type at the last cache-stats run.", labels: ["type"])
    package static let cacheQueue = Family(name: "cache_batch_queue_length", help: "Length of the batch:queue list at the last cache-stats run.", labels: [])
    package static let cacheUsedMemory = Family(name: "cache_used_memory_bytes", help: "Memory the cache server used at the last cache-stats run.", labels: [])
    package static let cacheMaxMemory = Family(name: "cache_maxmemory_bytes", help: "The cache server's maxmemory (0 = unlimited) at the last cache-stats run.", labels: [])
    package static let cacheEvicted = Family(name: "cache_evicted_keys", help: "Keys the cache server had evicted since its start, at the last cache-stats run.", labels: [])
    package static let cacheHitRatio = Family(name: "cache_hit_ratio", help: "keyspace_hits / (hits + misses) at the last cache-stats run.", labels: [])

    // MARK: Application data
    package static let sessions = Family(name: "sessions", help: "Sessions by status.", labels: ["status"])
    package static let sessionsExpired = Family(name: "sessions_expired_awaiting_deletion", help: "Sessions past expires_at that retention has not deleted yet.", labels: [])
    package static let batchesAwaitingArchival = Family(name: "batches_awaiting_archival", help: "Finished batches older than BATCH_ARCHIVE_DAYS that are not archived yet.", labels: [])
    package static let tableSize = Family(name: "table_size_bytes", help: "Total size of a table with its indexes and TOAST.", labels: ["table"])

    // MARK: This exporter
    package static let refreshTimestamp = Family(name: "metrics_refresh_timestamp_seconds", help: "When the database-derived metrics were last refreshed.", labels: [])
    package static let refreshDuration = Family(name: "metrics_refresh_duration_seconds", help: "How long the last refresh of the database-derived metrics took.", labels: [])
    package static let refreshErrors = Family(name: "metrics_refresh_errors_total", help: "Refreshes in which a query failed.", labels: [])
    package static let buildInfo = Family(name: "build_info", help: "Always 1; the version label is this binary's version.", labels: ["version"])

    /// The values every label takes, so those series exist (as 0) from the first scrape.
    package static let results = ["succeeded", "warning", "failed", "skipped", "interrupted"]
    package static let skipReasons = ["locked", "claimed", "missed", "shutdown", "unclaimed"]
    package static let retentionTables = ["sessions", "translation_jobs", "files", "batches", "batch_requests"]
    package static let sessionStatuses = ["active", "processing", "completed", "failed", "expired"]
    package static let cacheKeyTypes = ["session", "api_response", "translation", "ratelimit", "stats", "other"]
    /// Tables whose size is exported (`ops.job_runs` as `ops_job_runs`).
    package static let sizedTables = ["sessions", "translation_jobs", "files", "batches", "batch_requests", "ops_job_runs"]
    /// Buckets of the job duration histogram: health checks take milliseconds, backups minutes to hours.
    package static let durationBuckets: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200, 14400]

    package init() {
        for family in [Self.postgresUp, Self.postgresPing, Self.backupSize, Self.backupDuration, Self.backupSuccess,
                       Self.snapshotSuccess, Self.snapshotDuration, Self.snapshotSize, Self.cacheQueue, Self.cacheUsedMemory,
                       Self.cacheMaxMemory, Self.cacheEvicted, Self.cacheHitRatio, Self.sessionsExpired,
                       Self.batchesAwaitingArchival, Self.refreshTimestamp, Self.refreshDuration] {
            set(family, 0)
        }
        for table in Self.retentionTables { _ = counter(Self.retentionDeleted, [table]) }
        _ = counter(Self.retentionArchived)
        _ = counter(Self.retentionCacheKeys)
        _ = counter(Self.refreshErrors)
        for status in Self.sessionStatuses { set(Self.sessions, 0, [status]) }
        for type in Self.cacheKeyTypes { set(Self.cacheKeys, 0, [type]) }
        for table in Self.sizedTables { set(Self.tableSize, 0, [table]) }
        set(Self.buildInfo, 1, [OpsVersion.current])
    }

    /// Creates the series of `jobs` with zero values (idempotent).
    package func register(jobs: [String]) {
        let new = registeredJobs.withLock { registered in jobs.filter { registered.insert($0).inserted } }
        for job in new {
            for result in Self.results { _ = counter(Self.jobRuns, [job, result]) }
            for reason in Self.skipReasons { _ = counter(Self.jobSkipped, [job, reason]) }
            _ = histogram(job)
            for family in [Self.jobLastRun, Self.jobLastSuccess, Self.jobLastDuration, Self.jobConsecutiveFailures, Self.jobRunning] {
                set(family, 0, [job])
            }
        }
    }

    /// Whether the Redis series exist (only when a Redis URL is configured).
    package func registerRedis() {
        set(Self.redisUp, 0)
        set(Self.redisPing, 0)
    }

    // MARK: Access

    package func counter(_ family: Family, _ values: [String] = []) -> Counter {
        registry.makeCounter(descriptor: descriptor(family), labels: Array(zip(family.labels, values)))
    }

    package func gauge(_ family: Family, _ values: [String] = []) -> Gauge {
        registry.makeGauge(descriptor: descriptor(family), labels: Array(zip(family.labels, values)))
    }

    package func set(_ family: Family, _ value: Double, _ values: [String] = []) {
        gauge(family, values).set(value)
    }

    package func histogram(_ job: String) -> ValueHistogram {
        registry.makeValueHistogram(descriptor: descriptor(Self.jobDuration), labels: [("ops_job", job)], buckets: Self.durationBuckets)
    }

    /// The exposition, text format 0.0.4.
    package func render() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(32 * 1024)
        registry.emit(into: &buffer)
        return buffer
    }

    /// The jobs whose series exist.
    package var jobs: [String] { registeredJobs.withLock { $0.sorted() } }

    private func descriptor(_ family: Family) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "auto_i18n_ops", metricName: family.name, unitName: "", helpText: family.help)
    }
}
