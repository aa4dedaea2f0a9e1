import Logging

/// How a run was started; stored in `ops.job_runs.trigger`.
public enum JobTrigger: String, Sendable, Codable, CaseIterable {
    /// By the `run` daemon's schedule.
    case schedule
    /// One-shot from system cron or a systemd timer (`--trigger cron`).
    case cron
    /// By hand.
    case manual
}

/// The final state of a run; stored in `ops.job_runs.status`.
public enum JobRunStatus: String, Sendable, Codable, CaseIterable {
    case running, succeeded, warning, failed, skipped
}

/// What a job reports when it finishes without throwing.
public struct JobOutcome: Sendable {
    /// `.succeeded` or `.warning` (completed with warnings, exit 10).
    public var status: JobRunStatus
    /// Per-job figures, e.g. rows deleted per table; stored in `ops.job_runs.details` and printed by `--json`.
    public var details: JSONValue
    /// Warnings, one line each, already free of secrets.
    public var warnings: [String]

    public init(status: JobRunStatus = .succeeded, details: JSONValue = [:], warnings: [String] = []) {
        self.status = warnings.isEmpty ? status : .warning
        self.details = details
        self.warnings = warnings
    }
}

/// Everything a job needs to run.
public struct JobContext: Sendable {
    public var configuration: OpsConfiguration
    public var logger: Logger
    public var trigger: JobTrigger

    public init(configuration: OpsConfiguration, logger: Logger, trigger: JobTrigger) {
        self.configuration = configuration
        self.logger = logger
        self.trigger = trigger
    }
}

/// A unit of work the scheduler, system cron and the command line all run the same way
/// (see `JobRunner`): one at a time across all machines, recorded in `ops.job_runs`.
public protocol OpsJob: Sendable {
    /// Stable name: the schedule file's job word, the advisory lock and the metrics label.
    var name: String { get }
    /// Whether the job needs the `ops` schema to record its run (false for jobs that must work on any
    /// database, e.g. `health` against an unmigrated server).
    var requiresHistory: Bool { get }
    func run(_ context: JobContext) async throws -> JobOutcome
}

extension OpsJob {
    public var requiresHistory: Bool { true }
}
