import Foundation
import Logging
import OpsCore
import PGClient
import Scheduler
import Telemetry
import Testing

/// `running` rows whose run is gone become `interrupted` (issue 14): when no session holds their job's
/// lock and their process is gone (this host) or they are older than their own timeout (any host).
@Suite("Interrupted runs")
struct InterruptedRunsTests {
    private static let here = ProcessInfo.processInfo.hostName

    /// The pid of a process that has exited.
    private static func deadPID() throws -> Int {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return Int(process.processIdentifier)
    }

    /// Inserts a `running` row; `age` and `timeout` in seconds.
    private static func insert(_ db: PostgresConnection, job: String, host: String, pid: Int, age: Int,
                               timeout: Int? = nil, slot: Bool = false) async throws {
        try await db.query("""
            INSERT INTO ops.job_runs (job, trigger, slot, host, pid, status, started_at, timeout)
            VALUES ($1, 'manual', CASE WHEN $6 THEN now() END, $2, $3, 'running', now() - make_interval(secs => $4),
                    make_interval(secs => $5::float8))
            """, [job, host, pid, age, timeout.map(Double.init), slot])
    }

    private static func statuses(_ db: PostgresConnection) async throws -> [String: String] {
        var result: [String: String] = [:]
        for row in try await db.query("SELECT job, status FROM ops.job_runs WHERE job <> 'sleep'").rows {
            result[try row.decode(String.self, "job")] = try row.decode(String.self, "status")
        }
        return result
    }

    /// Job names stand for the cases (`history` takes only real ones): backup's process is gone
    /// (this host); health's is alive (this host, no timeout); retention outlived its timeout elsewhere;
    /// snapshot has not; cache-stats has no timeout (elsewhere: never by age); stats-refresh's lock is
    /// held; backup-prune is a slot claim younger than a minute.
    @Test func theNextOneShotMarksRunsWhoseProcessIsGoneOrThatOutlivedTheirTimeout() async throws {
        try await PostgresTestDatabase.with { name, db in
            let dead = try Self.deadPID()
            try await Self.insert(db, job: "backup", host: Self.here, pid: dead, age: 10)
            try await Self.insert(db, job: "health", host: Self.here, pid: Int(getpid()), age: 3 * 3600)
            try await Self.insert(db, job: "retention", host: "elsewhere.invalid", pid: 1, age: 2 * 3600, timeout: 3600)
            try await Self.insert(db, job: "snapshot", host: "elsewhere.invalid", pid: 1, age: 2 * 3600, timeout: 3 * 3600)
            try await Self.insert(db, job: "cache-stats", host: "elsewhere.invalid", pid: 1, age: 30 * 86_400)
            try await Self.insert(db, job: "stats-refresh", host: "elsewhere.invalid", pid: 1, age: 2 * 3600, timeout: 3600)
            try await Self.insert(db, job: "backup-prune", host: Self.here, pid: dead, age: 10, slot: true)
            // A live session still holds stats-refresh's lock: that run is not gone.
            let holder = try await PostgresConnection.connect(try PostgresTestDatabase.serverConfiguration().withDatabase(name))
            defer { Task { await holder.close() } }
            #expect(try await holder.tryAdvisoryLock(AdvisoryLockKey.forName("job:stats-refresh").value))

            var configuration = try PostgresTestDatabase.opsConfiguration(database: name)
            configuration.redisURL = nil
            let jobs = ["backup", "retention", "health"]
            let collector = MetricsCollector(configuration: configuration, jobs: jobs, refreshInterval: .zero, logger: Logger(label: "test"))
            await collector.refresh()

            let environment = ["DATABASE_URL": try PostgresTestDatabase.serverConfiguration().url(forDatabase: name)]
            let run = try await CLI.run(["schedule", "sleep", "--seconds", "0"], environment: environment)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(try await Self.statuses(db) == [
                "backup": "interrupted", "retention": "interrupted",
                "health": "running", "snapshot": "running", "cache-stats": "running",
                "stats-refresh": "running", "backup-prune": "running",
            ])
            let errors = try await db.query("SELECT job, error FROM ops.job_runs WHERE status = 'interrupted' ORDER BY job").rows
                .map { "\(try $0.decode(String.self, "job")): \(try $0.decode(String.self, "error"))" }
            #expect(errors == ["backup: interrupted: its process \(dead) on \(Self.here) is gone",
                               "retention: interrupted: it ran longer than its timeout and no session holds its job's lock"])

            // history shows it, the metrics count it.
            let history = try await CLI.run(["history", "--job", "backup", "--json"], environment: environment)
            let runs = try #require(try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]], "\(history.stderr)")
            #expect(runs.first?["status"] as? String == "interrupted")
            let text = String(decoding: await collector.exposition(), as: UTF8.self)
            #expect(text.contains("auto_i18n_ops_job_runs_total{ops_job=\"backup\",result=\"interrupted\"} 1"), "\(text)")
            #expect(text.contains("auto_i18n_ops_job_runs_total{ops_job=\"health\",result=\"interrupted\"} 0"), "\(text)")
            #expect(text.contains("auto_i18n_ops_job_consecutive_failures{ops_job=\"retention\"} 1"), "\(text)")
        }
    }

    /// The daemon marks them at start, before any of its lines fires.
    @Test func theDaemonMarksThemAtStart() async throws {
        try await PostgresTestDatabase.with { name, db in
            try await Self.insert(db, job: "backup", host: Self.here, pid: try Self.deadPID(), age: 10)
            let catalog = TestCatalog(prefix: "i\(UUID().uuidString.prefix(6).lowercased())")
            let schedule = try SchedulerTest.schedule("0 0 1 1 * \(catalog.prefix)-fast\n", catalog: catalog)
            let service = try SchedulerTest.service(schedule, database: name, clock: WallClock(), tally: Tally())
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await service.run() }
                try await waitUntil("the daemon marked the row interrupted") { try await Self.statuses(db)["backup"] == "interrupted" }
                service.shutdown()
                try await group.waitForAll()
            }
        }
    }

    /// Migration 3 turns the rows the older mechanism ended (`failed`, `details.interrupted`) into
    /// `interrupted` ones, and the status is allowed.
    @Test func migrationThreeConvertsRowsTheOlderMechanismEnded() async throws {
        try await PostgresTestDatabase.with(migrated: false) { _, db in
            let logger = Logger(label: "test")
            _ = try await MigrationRunner(migrations: Array(Migration.all.prefix(2)), logger: logger).migrate(on: db)
            try await db.query("""
                INSERT INTO ops.job_runs (job, trigger, host, pid, status, finished_at, details, error)
                VALUES ('backup', 'manual', 'h', 1, 'failed', now(), '{"interrupted": true}', 'interrupted: gone'),
                       ('backup', 'manual', 'h', 2, 'failed', now(), '{}', 'disk full')
                """)
            #expect(try await MigrationRunner(logger: logger).migrate(on: db).contains(3))
            let rows = try await db.query("SELECT pid, status FROM ops.job_runs ORDER BY pid").rows.map { $0["status"] ?? nil }
            #expect(rows == ["interrupted", "failed"])
        }
    }
}
