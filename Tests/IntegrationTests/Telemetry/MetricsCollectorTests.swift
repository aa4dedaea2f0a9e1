import DemoSeed
import Foundation
import Logging
import OpsCore
import OpsSupport
import PGClient
import Telemetry
import TestSupport
import Testing

private struct QuickJob: OpsJob {
    let name: String
    let fails: Bool
    func run(_ context: JobContext) async throws -> JobOutcome {
        if fails { throw OpsError(.jobFailed, "failed on purpose") }
        return JobOutcome(details: ["rows": 1])
    }
}

/// The value of one series in an exposition, e.g. `auto_i18n_ops_postgres_up`.
func sample(_ series: String, in text: String) -> Double? {
    text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last!) }
}

@Suite("Metrics from the databases")
struct MetricsCollectorTests {
    private func collector(_ database: String, jobs: [String], interval: Duration = .seconds(60)) throws -> MetricsCollector {
        MetricsCollector(configuration: try PostgresTestDatabase.opsConfiguration(database: database), jobs: jobs,
                         refreshInterval: interval, logger: Logger(label: "test"))
    }

    private func scrape(_ collector: MetricsCollector) async -> String {
        String(decoding: await collector.exposition(), as: UTF8.self)
    }

    /// A server restart (here: the collector's backend terminated) does not show as `postgres_up 0`:
    /// the refresh reconnects once, and the job figures stay (issue 14).
    @Test func aLostConnectionIsReconnectedOnceBeforePostgresCountsAsDown() async throws {
        try await PostgresTestDatabase.with { name, db in
            let job = "m\(UUID().uuidString.prefix(6).lowercased())"
            let collector = try collector(name, jobs: [job])
            let runner = JobRunner(context: JobContext(configuration: try PostgresTestDatabase.opsConfiguration(database: name), logger: Logger(label: "test"), trigger: .cron))
            _ = await runner.run(QuickJob(name: job, fails: false))
            await collector.refresh()
            let terminated = try await db.query("""
                SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = 'auto-i18n-ops'
                """).first?.decode(Int.self, "n")
            try #require((terminated ?? 0) >= 1, "the collector's connection was not found")
            await collector.refresh()
            let text = await scrape(collector)
            #expect(sample("auto_i18n_ops_postgres_up", in: text) == 1)
            #expect(sample(#"auto_i18n_ops_job_runs_total{ops_job="\#(job)",result="succeeded"}"#, in: text) == 1)
            #expect(sample(#"auto_i18n_ops_job_last_success_timestamp_seconds{ops_job="\#(job)"}"#, in: text) ?? 0 > 1_700_000_000)
        }
    }

    /// With PostgreSQL unreachable the failure series say so: `postgres_up 0` and a refresh error.
    @Test func aStoreDownShowsInTheFailureSeries() async throws {
        var configuration = try OpsConfiguration()
        configuration.databaseURL = "postgresql://ops@127.0.0.1:1/nowhere?connect_timeout=2"
        let collector = MetricsCollector(configuration: configuration, jobs: ["backup"], refreshInterval: .seconds(60), logger: Logger(label: "test"))
        await collector.refresh()
        let text = await scrape(collector)
        #expect(sample("auto_i18n_ops_postgres_up", in: text) == 0)
        #expect(sample("auto_i18n_ops_metrics_refresh_errors_total", in: text) ?? 0 >= 1, "\(text)")
        let check = try Promtool.checkMetrics(text)
        #expect(check.status == 0, "\(check.output)")
    }

    /// Runs recorded by anyone (here: JobRunner, as a cron one-shot would) are counted; pruning the
    /// history does not make the counters go down.
    @Test func runsInTheHistoryAreCountedAndCountersSurvivePruning() async throws {
        try await PostgresTestDatabase.with { name, db in
            let job = "m\(UUID().uuidString.prefix(6).lowercased())"
            let collector = try collector(name, jobs: [job])
            await collector.refresh()
            let runner = JobRunner(context: JobContext(configuration: try PostgresTestDatabase.opsConfiguration(database: name), logger: Logger(label: "test"), trigger: .cron))
            _ = await runner.run(QuickJob(name: job, fails: false))
            _ = await runner.run(QuickJob(name: job, fails: false))
            _ = await runner.run(QuickJob(name: job, fails: true))
            await collector.refresh()
            var text = await scrape(collector)
            #expect(sample(#"auto_i18n_ops_job_runs_total{ops_job="\#(job)",result="succeeded"}"#, in: text) == 2)
            #expect(sample(#"auto_i18n_ops_job_runs_total{ops_job="\#(job)",result="failed"}"#, in: text) == 1)
            #expect(sample(#"auto_i18n_ops_job_duration_seconds_count{ops_job="\#(job)"}"#, in: text) == 3)
            #expect(sample(#"auto_i18n_ops_job_consecutive_failures{ops_job="\#(job)"}"#, in: text) == 1)
            #expect(sample(#"auto_i18n_ops_job_last_success_timestamp_seconds{ops_job="\#(job)"}"#, in: text) ?? 0 > 1_700_000_000)
            #expect(sample("auto_i18n_ops_postgres_up", in: text) == 1)
            let check = try Promtool.checkMetrics(text)
            #expect(check.status == 0 && check.output.isEmpty, "\(check.output)")

            try await db.query("DELETE FROM ops.job_runs")
            await collector.refresh()
            text = await scrape(collector)
            #expect(sample(#"auto_i18n_ops_job_runs_total{ops_job="\#(job)",result="succeeded"}"#, in: text) == 2)
        }
    }

    /// Between refreshes a scrape is served from the cache: a run recorded meanwhile is not visible
    /// and every scrape shows the same refresh time, however many arrive at once.
    @Test func scrapesWithinTheIntervalDoNotQueryTheDatabase() async throws {
        try await PostgresTestDatabase.with { name, _ in
            let job = "m\(UUID().uuidString.prefix(6).lowercased())"
            let collector = try collector(name, jobs: [job], interval: .seconds(3600))
            let first = await scrape(collector)
            let stamp = try #require(sample("auto_i18n_ops_metrics_refresh_timestamp_seconds", in: first))
            #expect(stamp > 0)
            let runner = JobRunner(context: JobContext(configuration: try PostgresTestDatabase.opsConfiguration(database: name), logger: Logger(label: "test"), trigger: .cron))
            _ = await runner.run(QuickJob(name: job, fails: false))
            let stamps = await withTaskGroup(of: Double?.self) { group in
                for _ in 0..<200 { group.addTask { sample("auto_i18n_ops_metrics_refresh_timestamp_seconds", in: await self.scrape(collector)) } }
                return await group.reduce(into: Set<Double?>()) { $0.insert($1) }
            }
            #expect(stamps == [stamp])
            #expect(sample(#"auto_i18n_ops_job_runs_total{ops_job="\#(job)",result="succeeded"}"#, in: await scrape(collector)) == 0)
        }
    }

    @Test func applicationGaugesMatchTheTables() async throws {
        try await PostgresTestDatabase.with { name, db in
            try await db.transaction { try await db.execute(DemoSeedSQL.sql) }
            let collector = try collector(name, jobs: [])
            await collector.refresh()
            let text = await scrape(collector)
            for row in try await db.query("SELECT s.status, count(x.id) AS n FROM unnest(ARRAY['active','processing','completed','failed','expired']) AS s(status) LEFT JOIN sessions x ON x.status = s.status GROUP BY s.status").rows {
                #expect(sample(#"auto_i18n_ops_sessions{status="\#(row["status"]!)"}"#, in: text) == Double(row["n"]!), "\(row["status"]!)")
            }
            let expired = try await db.query("SELECT count(*) AS n FROM sessions WHERE expires_at < now()").first!.decode(Double.self, "n")
            #expect(expired > 0)
            #expect(sample("auto_i18n_ops_sessions_expired_awaiting_deletion", in: text) == expired)
            let due = try await db.query("""
                SELECT count(*) AS n FROM batches WHERE archived_at IS NULL AND status IN ('completed','failed','cancelled','expired')
                  AND completed_at < now() - interval '7 days'
                """).first!.decode(Double.self, "n")
            #expect(due > 0)
            #expect(sample("auto_i18n_ops_batches_awaiting_archival", in: text) == due)
            #expect(sample(#"auto_i18n_ops_table_size_bytes{table="files"}"#, in: text) ?? 0 > 8192)
        }
    }

    /// `running` follows the job's advisory lock, held here by another session as a cron one-shot would.
    @Test func aJobIsRunningWhileItsLockIsHeldAnywhere() async throws {
        try await PostgresTestDatabase.with { name, db in
            let collector = try collector(name, jobs: ["backup"])
            let key = AdvisoryLockKey.forName("job:backup").value
            #expect(try await db.tryAdvisoryLock(key))
            await collector.refresh()
            #expect(sample(#"auto_i18n_ops_job_running{ops_job="backup"}"#, in: await scrape(collector)) == 1)
            _ = try await db.advisoryUnlock(key)
            await collector.refresh()
            #expect(sample(#"auto_i18n_ops_job_running{ops_job="backup"}"#, in: await scrape(collector)) == 0)
        }
    }

    /// Figures come from the details of the latest successful runs (keys of the helpers' brief).
    @Test func backupRetentionSnapshotAndCacheFiguresComeFromRunDetails() async throws {
        try await PostgresTestDatabase.with { name, db in
            let collector = try collector(name, jobs: ["backup", "retention", "snapshot", "cache-stats"])
            await collector.refresh()
            try await db.query("""
                INSERT INTO ops.job_runs (job, trigger, host, pid, status, started_at, finished_at, details) VALUES
                ('backup', 'schedule', 'h', 1, 'succeeded', now() - interval '1 hour', now() - interval '59 minutes', '{"bytes": 4096, "duration_seconds": 61.5}'),
                ('backup', 'schedule', 'h', 1, 'failed', now() - interval '5 minutes', now() - interval '4 minutes', '{}'),
                ('retention', 'schedule', 'h', 1, 'succeeded', now(), now(), '{"deleted": {"sessions": 3, "files": 40}, "batches_archived": 2, "cache_keys_deleted": 5}'),
                ('snapshot', 'schedule', 'h', 1, 'succeeded', now(), now(), '{"bytes": 777, "duration_seconds": 0.5}'),
                ('cache-stats', 'schedule', 'h', 1, 'succeeded', now(), now(), '{"keys": {"session": 50, "ratelimit": 10}, "batch_queue_length": 4, "used_memory_bytes": 1000000, "maxmemory_bytes": 0, "evicted_keys": 0, "hit_ratio": 0.93}')
                """)
            await collector.refresh()
            let text = await scrape(collector)
            #expect(sample("auto_i18n_ops_backup_last_size_bytes", in: text) == 4096)
            #expect(sample("auto_i18n_ops_backup_last_duration_seconds", in: text) == 61.5)
            #expect(sample("auto_i18n_ops_backup_last_success_timestamp_seconds", in: text) ?? 0 > 1_700_000_000)
            #expect(sample(#"auto_i18n_ops_job_consecutive_failures{ops_job="backup"}"#, in: text) == 1)
            #expect(sample(#"auto_i18n_ops_retention_deleted_rows_total{table="files"}"#, in: text) == 40)
            #expect(sample(#"auto_i18n_ops_retention_deleted_rows_total{table="sessions"}"#, in: text) == 3)
            #expect(sample("auto_i18n_ops_retention_batches_archived_total", in: text) == 2)
            #expect(sample("auto_i18n_ops_snapshot_last_size_bytes", in: text) == 777)
            #expect(sample(#"auto_i18n_ops_cache_keys{type="session"}"#, in: text) == 50)
            #expect(sample("auto_i18n_ops_cache_hit_ratio", in: text) == 0.93)
            let check = try Promtool.checkMetrics(text)
            #expect(check.status == 0 && check.output.isEmpty, "\(check.output)")
        }
    }

    /// The disk alert's figures: the filesystem of a local BACKUP_REPO, as df sees it; none for S3.
    @Test func theRepositoryFilesystemIsExportedForALocalRepository() async throws {
        try await PostgresTestDatabase.with { name, _ in
            var configuration = try PostgresTestDatabase.opsConfiguration(database: name)
            configuration.backupRepository = FileManager.default.temporaryDirectory.path + "/not-created-\(UUID().uuidString)/backups"
            let local = MetricsCollector(configuration: configuration, jobs: ["backup"], refreshInterval: .seconds(60), logger: Logger(label: "test"))
            await local.refresh()
            let text = await scrape(local)
            let size = try #require(sample("auto_i18n_ops_backup_repository_size_bytes", in: text))
            let available = try #require(sample("auto_i18n_ops_backup_repository_available_bytes", in: text))
            let expected = try #require(FilesystemSpace.of(FileManager.default.temporaryDirectory.path))
            #expect(size == Double(expected.sizeBytes))
            #expect(available > 0 && available <= size)
            let check = try Promtool.checkMetrics(text)
            #expect(check.status == 0 && check.output.isEmpty, "\(check.output)")

            configuration.backupRepository = "s3://bucket/prefix"
            let remote = MetricsCollector(configuration: configuration, jobs: ["backup"], refreshInterval: .seconds(60), logger: Logger(label: "test"))
            await remote.refresh()
            #expect(!(await scrape(remote)).contains("backup_repository_"))
        }
    }
}
