import Foundation
import Logging
import OpsCore
import OpsSupport
import PGClient
import Scheduler
import Telemetry
import Testing

/// A job that counts how often its body runs and, for `<prefix>-gate`, waits until the test opens the
/// gate. It does not need history (as `backup` does not): it would run unrecorded if the runner let it.
private struct CountingJob: OpsJob {
    let name: String
    let tally: Tally
    var requiresHistory: Bool { false }
    func run(_ context: JobContext) async throws -> JobOutcome {
        tally.add("body")
        if name.hasSuffix("-gate") {
            while tally["open"] == 0 { try await Task.sleep(for: .milliseconds(20)) }
        }
        return JobOutcome(details: ["ran": true])
    }
}

private struct CountingCatalog: JobCatalog {
    let prefix: String
    let tally: Tally
    var jobNames: [String] { ["\(prefix)-count", "\(prefix)-gate"] }
    func makeJob(_ name: String, arguments: [String]) throws -> any OpsJob { CountingJob(name: name, tally: tally) }
}

/// Exactly once through a PostgreSQL outage (issue 14): replicas reach the real server through a TCP
/// proxy the test takes down and brings back.
@Suite("Scheduler: exactly once through a PostgreSQL outage")
struct ExactlyOnceOutageTests {
    private static let slot = try! Date("2026-05-02T05:00:00Z", strategy: .iso8601)

    /// A clock shared by the replicas, before the slot until the test moves it there.
    private static func clock() -> SteppedClock { SteppedClock(slot.addingTimeInterval(-10)) }

    /// Waits until `count` replicas have started, then moves their clock to the slot.
    private static func reachTheSlot(_ clock: SteppedClock, replicas count: Int, _ tally: Tally) async throws {
        try await waitUntil("the replicas started") { tally["started"] == count }
        clock.step(to: slot)
    }

    private func replica(_ text: String, catalog: CountingCatalog, url: String, clock: SteppedClock, tally: Tally,
                         collector: MetricsCollector? = nil) throws -> SchedulerService {
        var configuration = try OpsConfiguration()
        configuration.databaseURL = url
        configuration.connectTimeoutSeconds = 2
        let schedule = try Schedule(parsing: text, file: "test.schedule", catalog: catalog, defaultTimeZone: .gmt)
        let observer = SchedulerService.Observer(
            runFinished: { tally.add("finished:\($0.status.rawValue)") },
            slotSkipped: { job, reason, count in
                tally.add("skipped:\(reason)", count)
                collector?.recordSkip(job: job, reason: reason, count: count)
            },
            started: { tally.add("started") })
        return SchedulerService(
            configuration: .init(schedule: schedule, reloadSchedule: { schedule },
                                 context: JobContext(configuration: configuration, logger: Logger(label: "test"), trigger: .manual),
                                 clock: clock, historyRetentionDays: 0,
                                 unrecordedRetryInterval: .milliseconds(200)),
            observer: observer, logger: Logger(label: "test"))
    }

    private func rows(_ db: PostgresConnection, _ job: String) async throws -> [(slot: Date?, status: String)] {
        try await db.query("SELECT slot, status FROM ops.job_runs WHERE job = $1 ORDER BY id", [job]).rows
            .map { (try $0.decode(Date?.self, "slot"), try $0.decode(String.self, "status")) }
    }

    /// The issue's case: two replicas, PostgreSQL down from before the slot to 6 s after. The claim is
    /// retried; once the database is back one replica claims and runs the slot, the other finds it
    /// claimed, and the run is recorded. Before: both ran it unclaimed and nothing was recorded.
    @Test func aSlotDuringAnOutageRunsOnceClaimedWhenTheDatabaseIsBack() async throws {
        let proxy = try await TCPProxy.start()
        try await PostgresTestDatabase.with { name, db in
            let tally = Tally()
            let catalog = CountingCatalog(prefix: "o\(UUID().uuidString.prefix(6).lowercased())", tally: tally)
            let job = "\(catalog.prefix)-count"
            let line = "0 5 * * * retries=5 backoff=2s \(job)\n"
            try await proxy.down()
            let clock = Self.clock()
            let replicas = try (0..<2).map { _ in try replica(line, catalog: catalog, url: try proxy.url(forDatabase: name), clock: clock, tally: tally) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for replica in replicas { group.addTask { try await replica.run() } }
                try await Self.reachTheSlot(clock, replicas: 2, tally)
                // Both replicas tried the slot while the database was down.
                try await waitUntil("both replicas tried to claim the slot during the outage") { tally["finished:failed"] >= 2 }
                try await Task.sleep(for: .seconds(6))  // the outage lasts 6 s past the slot, as in the issue
                try await proxy.up()
                try await waitUntil("one replica ran the slot and the other found it claimed") {
                    tally["finished:succeeded"] == 1 && tally["skipped:claimed"] == 1
                }
                for replica in replicas { replica.shutdown() }
                try await group.waitForAll()
            }
            #expect(tally["body"] == 1, "the job ran \(tally["body"]) times")
            #expect(tally["skipped:unclaimed"] == 0)
            let recorded = try await rows(db, job)
            #expect(recorded.count == 1 && recorded.first?.slot == Self.slot && recorded.first?.status == "succeeded", "\(recorded)")
        }
    }

    /// A slot whose claim never succeeds within the retry policy is skipped as `unclaimed` on every
    /// replica (a local counter in /metrics), and the job never runs.
    @Test func aSlotThatCannotBeClaimedIsSkippedAsUnclaimedAndNeverRuns() async throws {
        let proxy = try await TCPProxy.start()
        try await PostgresTestDatabase.with { name, db in
            let tally = Tally()
            let catalog = CountingCatalog(prefix: "u\(UUID().uuidString.prefix(6).lowercased())", tally: tally)
            let job = "\(catalog.prefix)-count"
            let line = "0 5 * * * retries=1 backoff=1s \(job)\n"
            try await proxy.down()
            var configuration = try OpsConfiguration()
            configuration.databaseURL = try proxy.url(forDatabase: name)
            configuration.redisURL = nil
            let collector = MetricsCollector(configuration: configuration, jobs: [job], refreshInterval: .zero, logger: Logger(label: "test"))
            let clock = Self.clock()
            let replicas = try (0..<2).map { index in
                try replica(line, catalog: catalog, url: try proxy.url(forDatabase: name), clock: clock, tally: tally,
                            collector: index == 0 ? collector : nil)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for replica in replicas { group.addTask { try await replica.run() } }
                try await Self.reachTheSlot(clock, replicas: 2, tally)
                try await waitUntil("both replicas skipped the slot as unclaimed") { tally["skipped:unclaimed"] == 2 }
                for replica in replicas { replica.shutdown() }
                try await group.waitForAll()
            }
            #expect(tally["body"] == 0, "the job ran unclaimed \(tally["body"]) times")
            #expect(tally["finished:failed"] == 4, "two attempts on each replica")
            let text = String(decoding: await collector.exposition(), as: UTF8.self)
            #expect(text.contains("auto_i18n_ops_job_skipped_total{ops_job=\"\(job)\",reason=\"unclaimed\"} 1"), "\(text)")
            try await proxy.up()
            #expect(try await rows(db, job).isEmpty)
        }
    }

    /// The database goes away while the run is running (its lock goes with the connection): the run's
    /// end is kept and recorded once the database is back, not dropped, and the row is not taken for an
    /// interrupted one meanwhile (its process is alive).
    @Test func anEndThatCannotBeRecordedIsRecordedWhenTheDatabaseIsBack() async throws {
        let proxy = try await TCPProxy.start()
        try await PostgresTestDatabase.with { name, db in
            let tally = Tally()
            let catalog = CountingCatalog(prefix: "e\(UUID().uuidString.prefix(6).lowercased())", tally: tally)
            let job = "\(catalog.prefix)-gate"
            let clock = Self.clock()
            let service = try replica("0 5 * * * \(job)\n", catalog: catalog, url: try proxy.url(forDatabase: name),
                                      clock: clock, tally: tally)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await service.run() }
                try await Self.reachTheSlot(clock, replicas: 1, tally)
                try await waitUntil("the run started") { tally["body"] == 1 }
                try await proxy.down()
                try await waitUntil("the run's session (and its lock) is gone") {
                    try await jobLockHolders(db, job) == 0
                }
                tally.add("open")
                try await waitUntil("the run ended") { tally["finished:succeeded"] == 1 }
                // Another run on this host meanwhile must not end it as interrupted: its process is alive.
                #expect(try await JobRunHistory(connection: db).markInterrupted(exceptRun: nil) == 0)
                #expect(try await rows(db, job).map(\.status) == ["running"], "not recorded while the database is unreachable")
                try await proxy.up()
                try await waitUntil("the kept end was recorded") { try await rows(db, job).map(\.status) == ["succeeded"] }
                service.shutdown()
                try await group.waitForAll()
            }
            let details = try await db.query("SELECT details->>'ran' AS ran, finished_at IS NOT NULL AS ended FROM ops.job_runs WHERE job = $1", [job]).first
            #expect(details?["ran"] == "true" && details?["ended"] == "t")
        }
    }
}
