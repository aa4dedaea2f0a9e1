import ArgumentParser
import OpsCore
import OpsSupport
import Scheduler

/// `schedule sleep`: the diagnostic `sleep` job (Scheduler's `SleepJob`). It lets you try a schedule,
/// the daemon's shutdown and its retry policy without touching data; the tests use it too.
struct ScheduleSleepCommand: JobCommandType {
    static let configuration = CommandConfiguration(
        commandName: "sleep",
        abstract: "Diagnostic job: wait SECONDS (cancellable), then succeed or fail as asked.",
        discussion: EnvironmentHelp.discussion("", EnvironmentHelp.database),
        shouldDisplay: false)
    static let jobName = "sleep"
    static let commandPath = ["schedule", "sleep"]
    static let isDiagnostic = true

    @OptionGroup var global: GlobalOptions
    @OptionGroup var jobOptions: JobOptions

    @Option(help: ArgumentHelp("How long to wait (e.g. 1.5, 500ms, 2m; a bare number is seconds).", valueName: "duration"))
    var seconds = "1"

    @Option(help: ArgumentHelp("Fail instead of succeeding: 'transient' (a store unavailable; retried) or 'logic'.", valueName: "kind"))
    var fail: String?

    @Option(parsing: .unconditional, help: "Fail transiently only on the first N attempts of this process, then succeed.")
    var failAttempts: Int?

    func makeJob() throws -> any OpsJob {
        let duration = try DurationText.option(seconds, "--seconds", range: .zero...DurationText.maximum)
        var failure: SleepJob.Failure?
        if let fail {
            guard let kind = SleepJob.Failure(rawValue: fail) else { throw OpsError(.usage, "--fail \(fail) is not valid: use transient or logic") }
            failure = kind
        }
        if let failAttempts, failAttempts < 0 { throw OpsError(.usage, "--fail-attempts must be at least 0") }
        return SleepJob(duration: duration, failure: failure, failAttempts: failAttempts ?? 0)
    }
}
