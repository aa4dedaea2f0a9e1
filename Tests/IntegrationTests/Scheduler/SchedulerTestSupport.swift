import Foundation
import Logging
import OpsCore
import OpsSupport
import Scheduler

/// A job that succeeds after `seconds` (cancellable).
struct TestSleepJob: OpsJob {
    let name: String
    let seconds: Double
    func run(_ context: JobContext) async throws -> JobOutcome {
        try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
        return JobOutcome(details: ["slept": .double(seconds)])
    }
}

/// Schedule lines name `<prefix>-fast` (returns at once) and `<prefix>-slow --seconds N`.
struct TestCatalog: JobCatalog {
    let prefix: String
    var jobNames: [String] { ["\(prefix)-fast", "\(prefix)-slow"] }
    func makeJob(_ name: String, arguments: [String]) throws -> any OpsJob {
        if name.hasSuffix("-slow") {
            guard arguments.count == 2, arguments[0] == "--seconds", let seconds = Double(arguments[1]) else {
                throw OpsError(.usage, "expected --seconds N")
            }
            return TestSleepJob(name: name, seconds: seconds)
        }
        return TestSleepJob(name: name, seconds: 0)
    }
}

/// Thread-safe tallies an observer writes and a test reads.
final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [String: Int] = [:]
    func add(_ key: String, _ count: Int = 1) { lock.withLock { counts[key, default: 0] += count } }
    subscript(_ key: String) -> Int { lock.withLock { counts[key] ?? 0 } }
}

enum SchedulerTest {
    static func schedule(_ text: String, catalog: TestCatalog) throws -> Schedule {
        try Schedule(parsing: text, file: "test.schedule", catalog: catalog, defaultTimeZone: .gmt)
    }

    static func service(_ schedule: Schedule, database: String, clock: any SchedulerClock, grace: Duration = .seconds(10),
                        tally: Tally, reload: @escaping @Sendable () throws -> Schedule = { throw OpsError(.usage, "no reload") }) throws -> SchedulerService {
        let context = JobContext(configuration: try PostgresTestDatabase.opsConfiguration(database: database),
                                 logger: Logger(label: "test"), trigger: .manual)
        let observer = SchedulerService.Observer(
            runFinished: { tally.add("finished:\($0.status.rawValue)") },
            slotSkipped: { _, reason, count in tally.add("skipped:\(reason)", count) },
            scheduleLoaded: { _ in tally.add("loaded") },
            started: { tally.add("started") },
            reloadFailed: { _ in tally.add("reloadFailed") })
        return SchedulerService(configuration: .init(schedule: schedule, reloadSchedule: reload, context: context, clock: clock,
                                                     shutdownGrace: grace, historyRetentionDays: 0),
                                observer: observer, logger: Logger(label: "test"))
    }

    /// Polls `condition` every 50 ms for up to 120 s (a loaded CI host can be slow to get there).
    static func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}
