import ArgumentParser
import Foundation
import OpsCore

/// `schedule sleep`: a diagnostic job that waits, then succeeds or fails as asked. It lets you try a
/// schedule, the daemon's shutdown and its retry policy without touching data; the tests use it too.
struct ScheduleSleepCommand: AsyncParsableCommand, JobProducing {
    static let configuration = CommandConfiguration(
        commandName: "sleep",
        abstract: "Diagnostic job: wait SECONDS (cancellable), then succeed or fail as asked.",
        shouldDisplay: false)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var jobOptions: JobOptions

    @Option(help: "How long to wait.")
    var seconds: Double = 1

    @Option(help: ArgumentHelp("Fail instead of succeeding: 'transient' (a store unavailable; retried) or 'logic'.", valueName: "kind"))
    var fail: String?

    @Option(help: "Fail transiently only on the first N attempts of this process, then succeed.")
    var failAttempts: Int?

    func validate() throws {
        guard seconds >= 0, seconds.isFinite else { throw ValidationError("--seconds must be 0 or more") }
        if let fail, fail != "transient" && fail != "logic" { throw ValidationError("--fail must be transient or logic") }
    }

    func makeJob() throws -> any OpsJob {
        SleepJob(seconds: seconds, failure: fail, failAttempts: failAttempts ?? 0)
    }

    func run() async throws {
        try await JobCommand.run(try makeJob(), context: try global.context(label: "sleep"), options: jobOptions)
    }
}

/// The diagnostic `sleep` job.
struct SleepJob: OpsJob {
    let name = "sleep"
    let seconds: Double
    let failure: String?
    let failAttempts: Int
    private let attempts = AttemptCounter()

    init(seconds: Double, failure: String?, failAttempts: Int) {
        self.seconds = seconds
        self.failure = failure
        self.failAttempts = failAttempts
    }

    func run(_ context: JobContext) async throws -> JobOutcome {
        try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
        let attempt = attempts.next()
        if attempt <= failAttempts || failure == "transient" {
            throw OpsError(.storeUnavailable, "sleep: simulated transient failure (attempt \(attempt))")
        }
        if failure == "logic" { throw OpsError(.jobFailed, "sleep: simulated failure") }
        return JobOutcome(details: ["slept_seconds": .double(seconds), "attempt": .int(Int64(attempt))])
    }
}

/// Counts attempts across runs of one job value (the daemon reuses it for every slot).
///
/// `@unchecked Sendable`: `count` is only touched under `lock`.
final class AttemptCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        count += 1
        return count
    }
}
