import Foundation
import Logging
import OpsCore
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
            for _ in 0..<100 {
                if try await db.query("SELECT count(*) AS n FROM ops.job_runs WHERE job = $1 AND status = 'running'", [job.name]).first?.decode(Int.self, "n") == 1 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
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
