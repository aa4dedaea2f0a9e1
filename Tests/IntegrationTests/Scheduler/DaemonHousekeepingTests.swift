import Foundation
import OpsCore
import PGClient
import Scheduler
import Testing

/// A clock the test moves by hand: slots pass exactly when the test says, as with a suspended process
/// or a clock stepped forward.
final class SteppedClock: SchedulerClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    init(_ start: Date) { current = start }

    func now() -> Date { lock.withLock { current } }

    func step(to date: Date) { lock.withLock { current = date } }

    func sleep(until deadline: Date) async throws {
        while now() < deadline { try await Task.sleep(for: .milliseconds(10)) }
    }
}

/// The scheduler's housekeeping in the daemon itself (issue 14), not only at library level.
@Suite("Scheduler daemon: housekeeping")
struct DaemonHousekeepingTests {
    private static func slots(_ db: PostgresConnection, _ job: String) async throws -> [Date] {
        try await db.query("SELECT slot FROM ops.job_runs WHERE job = $1 ORDER BY slot", [job]).rows.map { try $0.decode(Date.self, "slot") }
    }

    /// 05:01 runs; then the clock jumps to 05:05: 05:02, 05:03 and 05:04 are counted as missed
    /// (`reason="missed"`) and only 05:05 runs.
    @Test func slotsThatPassedWhileTheDaemonCouldNotFireCollapseIntoTheLatest() async throws {
        try await PostgresTestDatabase.with { name, db in
            let catalog = TestCatalog(prefix: "m\(UUID().uuidString.prefix(6).lowercased())")
            let job = "\(catalog.prefix)-fast"
            let schedule = try SchedulerTest.schedule("* * * * * \(job)\n", catalog: catalog)
            let at = { (time: String) in try Date("2026-05-02T\(time)Z", strategy: .iso8601) }
            let clock = SteppedClock(try at("05:00:30"))
            let tally = Tally()
            let service = try SchedulerTest.service(schedule, database: name, clock: clock, tally: tally)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await service.run() }
                try await waitUntil("the scheduler started") { tally["started"] == 1 }
                clock.step(to: try at("05:01:00"))
                try await waitUntil("the 05:01 slot ran") { tally["finished:succeeded"] == 1 }
                clock.step(to: try at("05:05:10"))
                try await waitUntil("the 05:05 slot ran") { tally["finished:succeeded"] == 2 }
                service.shutdown()
                try await group.waitForAll()
            }
            #expect(tally["skipped:missed"] == 3)
            #expect(try await Self.slots(db, job) == [try at("05:01:00"), try at("05:05:00")])
        }
    }

    /// `run --history-days 30` deletes older history when it starts (the binary, as operators run it).
    @Test func theDaemonPrunesHistoryAtStartPerHistoryDays() async throws {
        try await PostgresTestDatabase.with { name, db in
            try await db.query("""
                INSERT INTO ops.job_runs (job, trigger, host, pid, status, started_at, finished_at)
                SELECT 'health', 'manual', 'h', 1, 'succeeded', now() - make_interval(days => d), now() - make_interval(days => d)
                FROM unnest(ARRAY[1, 29, 31, 400]) AS d
                """)
            let daemon = try DaemonProcess(database: name, schedule: "0 0 1 1 * health\n", arguments: ["--history-days", "30"])
            try await waitUntil("the old rows were pruned") {
                try await db.query("SELECT count(*) AS n FROM ops.job_runs WHERE job = 'health'").first?.decode(Int.self, "n") == 2
            }
            let ages = try await db.query("SELECT extract(day FROM now() - started_at)::int AS d FROM ops.job_runs ORDER BY d").rows.map { $0["d"] ?? nil }
            #expect(ages == ["1", "29"])
            // The line is logged after the delete commits: wait for it before stopping the daemon.
            try await waitUntil("the prune was logged") { daemon.log.contains("pruned 2 run(s) older than 30 days") }
            daemon.signal(SIGTERM)
            #expect(await daemon.wait() == 0, "\(daemon.log)")
        }
    }
}
