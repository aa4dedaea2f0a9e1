import Logging
import OpsSupport

/// How a run was started; stored in `ops.job_runs.trigger`.
package enum JobTrigger: String, Sendable, Codable, CaseIterable {
    /// By the `run` daemon's schedule.
    case schedule
    /// One-shot from system cron or a systemd timer (`--trigger cron`).
    case cron
    /// By hand.
    case manual
}

/// The final state of a run; stored in `ops.job_runs.status`.
///
/// `interrupted` is never a run's own result: it is how another run (or the daemon) ends a `running`
/// row whose run is gone (see `JobRunHistory.markInterrupted`).
package enum JobRunStatus: String, Sendable, Codable, CaseIterable {
    case running, succeeded, warning, failed, skipped, interrupted
}

/// What a job reports when it finishes without throwing.
package struct JobOutcome: Sendable {
    /// `.succeeded` or `.warning` (completed with warnings, exit 10).
    package var status: JobRunStatus
    /// Per-job figures, e.g. rows deleted per table; stored in `ops.job_runs.details` and printed by `--json`.
    package var details: JSONValue
    /// Warnings, one line each, already free of secrets.
    package var warnings: [String]

    package init(status: JobRunStatus = .succeeded, details: JSONValue = [:], warnings: [String] = []) {
        self.status = warnings.isEmpty ? status : .warning
        self.details = details
        self.warnings = warnings
    }
}

/// Everything a job needs to run.
package struct JobContext: Sendable {
    package var configuration: OpsConfiguration
    package var logger: Logger
    package var trigger: JobTrigger

    package init(configuration: OpsConfiguration, logger: Logger, trigger: JobTrigger) {
        self.configuration = configuration
        self.logger = logger
        self.trigger = trigger
    }
}

/// A unit of work the scheduler, system cron and the command line all run the same way
/// (see `JobRunner`): one at a time across all machines, recorded in `ops.job_runs`.
package protocol OpsJob: Sendable {
    /// Stable name: the schedule file's job word, the advisory lock and the metrics label.
    var name: String { get }
    /// Whether the job needs the `ops` schema to record its run (false for jobs that must work on any
    /// database, e.g. `health` against an unmigrated server).
    var requiresHistory: Bool { get }
    func run(_ context: JobContext) async throws -> JobOutcome
}

extension OpsJob {
    package var requiresHistory: Bool { true }
}
