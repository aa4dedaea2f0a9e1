import Foundation
import Logging
import OpsCore
import PGClient
import Scheduler
import Testing

/// The scheduler in-process with an accelerated clock (test only: 60x, so `* * * * *` fires every second).
@Suite("Scheduler daemon: slots, replicas, catch-up, shutdown, reload")
struct SchedulerServiceTests {
    private func prefix() -> String { "t\(UUID().uuidString.prefix(6).lowercased())" }

    /// Three replicas against one database, one of them with a clock 20 s late: every slot runs once.
    @Test func replicasRunEachSlotExactlyOnce() async throws {
        try await PostgresTestDatabase.with { name, db in
            let catalog = TestCatalog(prefix: prefix())
            let schedule = try SchedulerTest.schedule("* * * * * \(catalog.prefix)-fast\n", catalog: catalog)
            let tally = Tally()
            let origin = Date()
            let replicas = try [
                SchedulerTest.service(schedule, database: name, clock: AcceleratedClock(scale: 60, origin: origin), tally: tally),
                SchedulerTest.service(schedule, database: name, clock: AcceleratedClock(scale: 60, origin: origin), tally: tally),
                SchedulerTest.service(schedule, database: name, clock: AcceleratedClock(scale: 60, origin: origin.addingTimeInterval(-20)), tally: tally),
            ]
            let job = "\(catalog.prefix)-fast"
            try await withThrowingTaskGroup(of: Void.self) { group in
                for replica in replicas { group.addTask { try await replica.run() } }
                // Let about five slots pass on every replica, including the late one.
                let reached = try await SchedulerTest.eventually {
                    try await db.query("SELECT count(DISTINCT slot) AS n FROM ops.job_runs WHERE job = $1", [job]).first?.decode(Int.self, "n") ?? 0 >= 5
                }
                #expect(reached)
                try await Task.sleep(for: .seconds(1))
                for replica in replicas { replica.shutdown() }
                try await group.waitForAll()
            }
            let perSlot = try await db.query("SELECT slot, count(*) AS n, string_agg(status, ',') AS statuses FROM ops.job_runs WHERE job = $1 GROUP BY slot", [job])
            #expect(perSlot.rows.count >= 5)
            for row in perSlot.rows {
                #expect(row["n"] == "1", "slot \(row["slot"] ?? "?") ran \(row["n"] ?? "?") times")
                // Skipped only when the previous slot's run still held the lock (a loaded machine):
                // then the slot is spent, still exactly one row.
                #expect(row["statuses"] == "succeeded" || row["statuses"] == "skipped")
            }
            // How many slots succeeded and how often the others were refused depends on how loaded the
            // machine is (a late replica misses slots); exactly one row per slot is the property.
            #expect(perSlot.rows.filter { $0["statuses"] == "succeeded" }.count >= 1)
            // The other replicas did try: their claims were refused.
            #expect(tally["skipped:claimed"] >= 1)
        }
    }

    /// Down at 02:30, back at 05:00: the 02:30 slot runs once at start; a restart does not run it again.
    @Test func aMissedSlotWithinTheWindowRunsOnceAndIsNotReplayed() async throws {
        try await PostgresTestDatabase.with { name, db in
            let catalog = TestCatalog(prefix: prefix())
            let job = "\(catalog.prefix)-fast"
            let schedule = try SchedulerTest.schedule("30 2 * * * catch-up=6h \(job)\n", catalog: catalog)
            let yesterday = try Date("2026-05-01T02:30:00Z", strategy: .iso8601)
            let today = try Date("2026-05-02T02:30:00Z", strategy: .iso8601)
            try await db.query("""
                INSERT INTO ops.job_runs (job, trigger, slot, host, pid, status, started_at, finished_at)
                VALUES ($1, 'schedule', $2, 'old', 1, 'succeeded', $2, $2)
                """, [job, yesterday])
            for attempt in 1...2 {
                let tally = Tally()
                let clock = AcceleratedClock(scale: 1, origin: try Date("2026-05-02T05:00:00Z", strategy: .iso8601))
                let service = try SchedulerTest.service(schedule, database: name, clock: clock, tally: tally)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await service.run() }
                    #expect(try await SchedulerTest.eventually { tally["started"] == 1 })
                    service.shutdown()
                    try await group.waitForAll()
                }
                let rows = try await db.query("SELECT slot FROM ops.job_runs WHERE job = $1 ORDER BY slot", [job])
                #expect(rows.rows.map { try? $0.decode(Date.self, "slot") } == [yesterday, today], "after start \(attempt)")
            }
        }
    }

    /// SIGTERM semantics: a job that ends within the grace period ends normally...
    @Test func aRunningJobMayFinishWithinTheGracePeriod() async throws {
        try await PostgresTestDatabase.with { name, db in
            let catalog = TestCatalog(prefix: prefix())
            let job = "\(catalog.prefix)-slow"
            let schedule = try SchedulerTest.schedule("* * * * * \(job) --seconds 1.5\n", catalog: catalog)
            let service = try SchedulerTest.service(schedule, database: name, clock: AcceleratedClock(scale: 60), grace: .seconds(30), tally: Tally())
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await service.run() }
                try await waitFor(db, "SELECT count(*) AS n FROM ops.job_runs WHERE job = $1 AND status = 'running'", [job])
                // On a loaded machine a first run may already have ended and a slot that fired before the
                // shutdown (queued ahead of it) begun: what matters is that every run that started ended
                // normally within the grace, none cancelled.
                service.shutdown()
                try await group.waitForAll()
                // Slots that fired while it ran were spent as `skipped` rows (its lock was held).
                let rows = try await db.query("SELECT status FROM ops.job_runs WHERE job = $1 AND status <> 'skipped'", [job]).rows
                #expect((1...2).contains(rows.count), "\(rows.map { $0["status"] })")
                #expect(rows.allSatisfy { $0["status"] == "succeeded" }, "the running one finished within the grace: \(rows.map { $0["status"] })")
            }
        }
    }

    /// ...and one that does not is cancelled after it, recorded as failed, its lock released.
    @Test func aRunningJobIsCancelledWhenTheGracePeriodEnds() async throws {
        try await PostgresTestDatabase.with { name, db in
            let catalog = TestCatalog(prefix: prefix())
            let job = "\(catalog.prefix)-slow"
            let schedule = try SchedulerTest.schedule("* * * * * \(job) --seconds 600\n", catalog: catalog)
            let service = try SchedulerTest.service(schedule, database: name, clock: AcceleratedClock(scale: 60), grace: .seconds(3), tally: Tally())
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await service.run() }
                try await waitFor(db, "SELECT count(*) AS n FROM ops.job_runs WHERE job = $1 AND status = 'running'", [job])
                // The slot row is written before the lock is taken; once the lock shows, the body starts after
                // one more query, well within the 3 s grace even on a loaded host.
                try await waitForJobLock(db, job)
                service.shutdown()
                try await group.waitForAll()
            }
            let rows = try await db.query("SELECT status, error FROM ops.job_runs WHERE job = $1 AND status <> 'skipped'", [job])
            #expect(rows.rows.map { $0["status"] } == ["failed"])
            #expect(rows.rows.first?["error"]?.contains("cancelled") == true)
            #expect(try await db.tryAdvisoryLock(AdvisoryLockKey.forName("job:\(job)").value))
        }
    }

    /// SIGHUP with a broken file keeps the old schedule; a good file replaces it.
    @Test func aReloadKeepsTheOldScheduleWhenTheNewOneIsInvalid() async throws {
        try await PostgresTestDatabase.with { name, db in
            let catalog = TestCatalog(prefix: prefix())
            let path = NSTemporaryDirectory() + "schedule-\(UUID().uuidString)"
            try "0 0 1 1 * \(catalog.prefix)-fast\n".write(toFile: path, atomically: true, encoding: .utf8)
            let load: @Sendable () throws -> Schedule = {
                try Schedule(parsing: try String(contentsOfFile: path, encoding: .utf8), file: path, catalog: catalog, defaultTimeZone: .gmt)
            }
            let tally = Tally()
            let service = try SchedulerTest.service(try load(), database: name, clock: AcceleratedClock(scale: 60), tally: tally, reload: load)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await service.run() }
                #expect(try await SchedulerTest.eventually { tally["started"] == 1 })
                try "61 * * * * \(catalog.prefix)-fast\n".write(toFile: path, atomically: true, encoding: .utf8)
                service.reload()
                #expect(try await SchedulerTest.eventually { tally["reloadFailed"] == 1 })
                // A line that can never fire is refused on reload as on start (issue 14).
                try "* * 31 feb * \(catalog.prefix)-fast\n".write(toFile: path, atomically: true, encoding: .utf8)
                service.reload()
                #expect(try await SchedulerTest.eventually { tally["reloadFailed"] == 2 })
                // Job arguments the job's command rejects are refused too, not a crash at the next minute.
                try "* * * * * \(catalog.prefix)-slow --seconds\n".write(toFile: path, atomically: true, encoding: .utf8)
                service.reload()
                #expect(try await SchedulerTest.eventually { tally["reloadFailed"] == 3 })
                try "* * * * * \(catalog.prefix)-slow --seconds 0\n".write(toFile: path, atomically: true, encoding: .utf8)
                service.reload()
                try await waitFor(db, "SELECT count(*) AS n FROM ops.job_runs WHERE job = $1 AND status = 'succeeded'", ["\(catalog.prefix)-slow"])
                service.shutdown()
                try await group.waitForAll()
            }
            #expect(tally["loaded"] == 2, "the start and the valid reload; the invalid file was not loaded")
        }
    }

    @Test func historyOlderThanTheRetentionIsPruned() async throws {
        try await PostgresTestDatabase.with { name, db in
            try await db.query("""
                INSERT INTO ops.job_runs (job, trigger, host, pid, status, started_at, finished_at)
                SELECT 'old', 'manual', 'h', 1, 'succeeded', now() - make_interval(days => d), now() - make_interval(days => d)
                FROM unnest(ARRAY[1, 89, 91, 400]) AS d
                """)
            let deleted = try await SchedulerService.pruneHistory(olderThanDays: 90, configuration: try PostgresTestDatabase.opsConfiguration(database: name))
            #expect(deleted == 2)
            #expect(try await db.query("SELECT count(*) AS n FROM ops.job_runs WHERE job = 'old'").first?.decode(Int.self, "n") == 2)
        }
    }
}
