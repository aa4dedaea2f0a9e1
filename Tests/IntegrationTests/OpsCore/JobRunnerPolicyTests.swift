import Foundation
import Logging
import OpsCore
import OpsSupport
import PGClient
import Testing

/// A job that sleeps (cancellably), then succeeds; counts its attempts.
private struct SlowJob: OpsJob {
    let name: String
    let seconds: Double
    func run(_ context: JobContext) async throws -> JobOutcome {
        try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
        return JobOutcome(details: ["slept": .double(seconds)])
    }
}

/// Tells the test when its body has started, then sleeps until cancelled.
private struct SignallingJob: OpsJob {
    let name: String
    let started: AsyncStream<Void>.Continuation
    func run(_ context: JobContext) async throws -> JobOutcome {
        started.yield(())
        try await Task.sleep(for: .seconds(60))
        return JobOutcome()
    }
}

/// Fails with the given error the first `failures` times.
private final class FlakyJob: OpsJob, @unchecked Sendable {
    let name: String
    let failures: Int
    let error: OpsError
    private let lock = NSLock()
    private var calls = 0
    init(name: String, failures: Int, error: OpsError) {
        self.name = name
        self.failures = failures
        self.error = error
    }
    var attempts: Int { lock.withLock { calls } }
    private func next() -> Int { lock.withLock { calls += 1; return calls } }
    func run(_ context: JobContext) async throws -> JobOutcome {
        let call = next()
        if call <= failures { throw error }
        return JobOutcome(details: ["ok": true])
    }
}

@Suite("Job runner: slot claims, timeouts, retries, cancellation")
struct JobRunnerPolicyTests {
    func runner(_ database: String, trigger: JobTrigger = .schedule) throws -> JobRunner {
        JobRunner(context: JobContext(configuration: try PostgresTestDatabase.opsConfiguration(database: database), logger: Logger(label: "test"), trigger: trigger))
    }

    private func jobName() -> String { "job-\(UUID().uuidString.prefix(8))" }

    /// A replica whose clock is late tries a slot after its run has ended and the lock is free again:
    /// the durable claim makes it skip, with no second row.
    @Test func aSlotThatRanIsSkippedByALateReplicaWithoutARow() async throws {
        try await PostgresTestDatabase.with { name, db in
            let job = SlowJob(name: jobName(), seconds: 0)
            let slot = Date(timeIntervalSince1970: 1_800_000_000)
            let first = try await runner(name).run(job, options: .init(slot: slot))
            #expect(first.status == .succeeded)
            let late = try await runner(name).run(job, options: .init(slot: slot))
            #expect(late.status == .skipped)
            #expect(late.skipReason == .claimed)
            #expect(late.runID == nil)
            let rows = try await db.query("SELECT status FROM ops.job_runs WHERE job = $1", [job.name])
            #expect(rows.rows.map { $0["status"] } == ["succeeded"])
        }
    }

    /// The next slot arrives while the previous one still runs: it is spent as one `skipped` row.
    @Test func aSlotWhoseJobIsStillRunningIsRecordedAsSkipped() async throws {
        try await PostgresTestDatabase.with { name, db in
            let job = SlowJob(name: jobName(), seconds: 30)
            let runner = try runner(name)
            let first = Task { await runner.run(job, options: .init(slot: Date(timeIntervalSince1970: 1_800_000_000))) }
            try await waitForJobLock(db, job.name)
            let second = await runner.run(job, options: .init(slot: Date(timeIntervalSince1970: 1_800_000_060)))
            #expect(second.status == .skipped)
            #expect(second.skipReason == .locked)
            first.cancel()
            _ = await first.value
            let rows = try await db.query("SELECT status, details->>'reason' AS reason FROM ops.job_runs WHERE job = $1 AND slot = $2",
                                          [job.name, Date(timeIntervalSince1970: 1_800_000_060)])
            #expect(rows.rows.map { $0["status"] } == ["skipped"])
            #expect(rows.rows.first?["reason"] == "already running")
        }
    }

    @Test func aJobPastItsTimeoutIsCancelledRecordedAndItsLockReleased() async throws {
        try await PostgresTestDatabase.with { name, db in
            let job = SlowJob(name: jobName(), seconds: 60)
            let report = try await runner(name).run(job, options: .init(slot: Date(), timeout: .milliseconds(300)))
            #expect(report.status == .failed)
            #expect("\(report.error!)".contains("timed out after"))
            let row = try #require(try await db.query("SELECT status, error, finished_at IS NOT NULL AS done FROM ops.job_runs WHERE job = $1", [job.name]).first)
            #expect(row["status"] == "failed")
            #expect(row["error"]?.contains("timed out") == true)
            #expect(try row.decode(Bool.self, "done"))
            #expect(try await db.tryAdvisoryLock(AdvisoryLockKey.forName("job:\(job.name)").value), "the lock was released")
        }
    }

    @Test func aCancelledRunIsRecordedAsFailedAndReleasesItsLock() async throws {
        try await PostgresTestDatabase.with { name, db in
            let (started, signal) = AsyncStream<Void>.makeStream()
            let job = SignallingJob(name: jobName(), started: signal)
            let runner = try runner(name)
            let task = Task { await runner.run(job, options: .init(slot: Date())) }
            for await _ in started { break }  // the job's body is running
            task.cancel()
            let report = await task.value
            #expect(report.status == .failed)
            let row = try #require(try await db.query("SELECT status, error FROM ops.job_runs WHERE job = $1", [job.name]).first)
            #expect(row["status"] == "failed")
            #expect(row["error"]?.contains("cancelled") == true)
            #expect(try await db.tryAdvisoryLock(AdvisoryLockKey.forName("job:\(job.name)").value))
        }
    }

    @Test func aRunCancelledBeforeItStartsIsRecordedAsSkippedNotFailed() async throws {
        try await PostgresTestDatabase.with { name, db in
            let job = SlowJob(name: jobName(), seconds: 60)
            let runner = try runner(name)
            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return await runner.run(job, options: .init(slot: Date()))
            }
            let report = await task.value
            #expect(report.status == .skipped)
            #expect(report.skipReason == .shutdown)
            let row = try #require(try await db.query("SELECT status, details->>'reason' AS reason FROM ops.job_runs WHERE job = $1", [job.name]).first)
            #expect(row["status"] == "skipped")
            #expect(row["reason"] == "shutdown")
            #expect(try await db.tryAdvisoryLock(AdvisoryLockKey.forName("job:\(job.name)").value))
        }
    }

    @Test func transientFailuresAreRetriedWithinOneRun() async throws {
        try await PostgresTestDatabase.with { name, db in
            let job = FlakyJob(name: jobName(), failures: 2, error: OpsError(.storeUnavailable, "redis down"))
            let retry = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(10), maxDelay: .milliseconds(20))
            let report = try await runner(name).run(job, options: .init(slot: Date(), retry: retry))
            #expect(report.status == .succeeded)
            #expect(report.attempts == 3)
            let row = try #require(try await db.query("SELECT status, details->>'attempts' AS attempts FROM ops.job_runs WHERE job = $1", [job.name]).first)
            #expect(row["status"] == "succeeded")
            #expect(row["attempts"] == "3")
        }
    }

    @Test func logicErrorsAreNotRetried() async throws {
        try await PostgresTestDatabase.with { name, _ in
            let job = FlakyJob(name: jobName(), failures: 5, error: OpsError(.jobFailed, "bad data"))
            let report = try await runner(name).run(job, options: .init(retry: RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(10))))
            #expect(report.status == .failed)
            #expect(job.attempts == 1)
        }
    }

    @Test func aRunThatCannotReachPostgresFailsTransientlyBeforeClaimingTheSlot() async throws {
        var configuration = try PostgresTestDatabase.opsConfiguration(database: "postgres")
        configuration.databaseURL = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"
        let runner = JobRunner(context: JobContext(configuration: configuration, logger: Logger(label: "test"), trigger: .schedule))
        let report = await runner.run(SlowJob(name: jobName(), seconds: 0), options: .init(slot: Date()))
        #expect(report.status == .failed)
        #expect(report.failedTransientlyBeforeStart)
    }
}

/// Polls until `sql` (a `count(*) AS n`) returns at least 1; after `seconds` (generous: a loaded
/// CI host may take many seconds to start a daemon) it records a failure and throws, so the test
/// stops there instead of failing on every assertion after it.
func waitFor(_ db: PostgresConnection, _ sql: String, _ parameters: [(any PostgresEncodable)?] = [], seconds: Int = 120) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if try await db.query(sql, parameters).first?.decode(Int.self, "n") ?? 0 >= 1 { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("condition never became true within \(seconds) s: \(sql)")
    throw WaitTimedOut()
}

struct WaitTimedOut: Error {}

/// How many sessions hold `job`'s advisory lock (the run lock `job:NAME`).
func jobLockHolders(_ db: PostgresConnection, _ job: String) async throws -> Int {
    try await db.query("""
        SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1
          AND ((classid::int8 << 32) | objid::int8) = $1
        """, [AdvisoryLockKey.forName("job:\(job)").value]).first?.decode(Int.self, "n") ?? 0
}

/// Polls until a session holds `job`'s run lock. A run's row is written before it takes the lock,
/// so a test that must reach the job's body waits for this, not for the `running` row alone.
func waitForJobLock(_ db: PostgresConnection, _ job: String, seconds: Int = 120) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if try await jobLockHolders(db, job) >= 1 { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("no session took the lock of \(job) within \(seconds) s")
    throw WaitTimedOut()
}
