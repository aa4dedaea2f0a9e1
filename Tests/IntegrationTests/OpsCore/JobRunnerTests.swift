import Foundation
import Logging
import OpsCore
import OpsSupport
import PGClient
import Testing

/// A job that waits until told to finish, so tests can hold its lock.
private struct GatedJob: OpsJob {
    let name: String
    let gate: AsyncStream<Void>
    func run(_ context: JobContext) async throws -> JobOutcome {
        for await _ in gate { break }
        return JobOutcome(details: ["rows": 3])
    }
}

private struct FailingJob: OpsJob {
    let name = "failing"
    func run(_ context: JobContext) async throws -> JobOutcome {
        throw OpsError(.jobFailed, "nothing to see")
    }
}

@Suite("Job runner and run history")
struct JobRunnerTests {
    func context(_ database: String) throws -> JobContext {
        JobContext(configuration: try PostgresTestDatabase.opsConfiguration(database: database), logger: Logger(label: "test"), trigger: .manual)
    }

    @Test func aSecondConcurrentRunIsSkippedAndRecorded() async throws {
        try await PostgresTestDatabase.with { name, db in
            let (gate, open) = AsyncStream<Void>.makeStream()
            let job = GatedJob(name: "gated-\(UUID().uuidString.prefix(8))", gate: gate)
            let runner = JobRunner(context: try context(name))
            let first = Task { await runner.run(job) }
            // Wait until the first run is recorded as running.
            // If it never is, stop here: the second run would otherwise wait on the gate for ever.
            try #require(await waitUntil("the first run is recorded as running") {
                try await db.query("SELECT count(*) AS n FROM ops.job_runs WHERE job = $1 AND status = 'running'", [job.name]).first?.decode(Int.self, "n") == 1
            })
            let second = await runner.run(job)
            #expect(second.status == .skipped)
            #expect(second.exitCode == ExitCode.skipped)
            open.yield(())
            open.finish()
            let firstReport = await first.value
            #expect(firstReport.status == .succeeded)
            let rows = try await db.query("SELECT status, details->>'rows' AS rows FROM ops.job_runs WHERE job = $1 ORDER BY id", [job.name])
            #expect(rows.rows.map { $0["status"] } == ["succeeded", "skipped"])
            #expect(rows.rows.first?["rows"] == "3")
        }
    }

    @Test func aFailedRunIsRecordedWithItsError() async throws {
        try await PostgresTestDatabase.with { name, db in
            let report = await JobRunner(context: try context(name)).run(FailingJob())
            #expect(report.status == .failed)
            #expect(report.exitCode == ExitCode.failure)
            let row = try #require(try await db.query("SELECT status, error, finished_at IS NOT NULL AS done FROM ops.job_runs WHERE job = 'failing'").first)
            #expect(row["status"] == "failed")
            #expect(row["error"] == "nothing to see")
            #expect(try row.decode(Bool.self, "done"))
        }
    }

    @Test func aJobNeedingHistoryFailsOnAnUnmigratedDatabase() async throws {
        try await PostgresTestDatabase.with(migrated: false) { name, _ in
            let report = await JobRunner(context: try context(name)).run(FailingJob())
            #expect(report.status == .failed)
            #expect((report.error as? OpsError)?.message.contains("schema migrate") == true)
        }
    }

    @Test func eachScheduledSlotCanBeClaimedOnce() async throws {
        try await PostgresTestDatabase.with { _, db in
            let history = JobRunHistory(connection: db)
            let slot = Date(timeIntervalSince1970: 1_800_000_000)
            _ = try await history.start(job: "backup", trigger: .schedule, slot: slot)
            let error = try await #require(throws: PostgresError.self) { try await history.start(job: "backup", trigger: .schedule, slot: slot) }
            #expect(error.sqlState == "23505")
            _ = try await history.start(job: "backup", trigger: .manual)
            _ = try await history.start(job: "backup", trigger: .manual)
        }
    }
}

@Suite("Job runner and a newer schema")
struct JobRunnerSchemaTests {
    @Test func aJobRefusesADatabaseMigratedByANewerBinaryWithExit4() async throws {
        try await PostgresTestDatabase.with { name, db in
            try await db.query("INSERT INTO ops.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", [999, "future", "x"])
            let context = JobContext(configuration: try PostgresTestDatabase.opsConfiguration(database: name), logger: Logger(label: "test"), trigger: .manual)
            let report = await JobRunner(context: context).run(FailingJob())
            #expect(report.status == .failed)
            #expect(report.exitCode == ExitCode.schemaTooNew)
            #expect(try await db.query("SELECT count(*) AS n FROM ops.job_runs").first?.decode(Int.self, "n") == 0)
        }
    }

    @Test func demoSeedRefusesADatabaseWithRealSessions() async throws {
        try await PostgresTestDatabase.with { name, db in
            try await db.query("INSERT INTO sessions (sender_id, session_type, source_locale) VALUES ($1, 'upload', 'en')", ["real-user-1"])
            var environment = ["DATABASE_URL": try PostgresTestDatabase.serverConfiguration().url(forDatabase: name)]
            environment["ENABLE_CACHE"] = "false"
            let result = try await CLI.run(["demo", "seed"], environment: environment)
            #expect(result.status == 2)
            #expect(result.stderr.contains("not demo data"))
            #expect(try await db.query("SELECT count(*) AS n FROM sessions").first?.decode(Int.self, "n") == 1)
        }
    }
}
