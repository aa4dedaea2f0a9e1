import Foundation
import Logging
import OpsSupport
import PGClient

/// Runs a job the way every trigger does: under the job's advisory lock (one run at a time across all
/// machines), recorded in `ops.job_runs` from start to end.
///
/// The bookkeeping (claiming a slot, taking the lock, recording the end, releasing the lock) is shielded
/// from cancellation: cancelling the calling task (a timeout, a daemon shutting down) cancels the job
/// itself, and the run is still recorded as failed and its lock released.
package struct JobRunner: Sendable {
    package let context: JobContext

    package init(context: JobContext) {
        self.context = context
    }

    /// How one run is made.
    package struct RunOptions: Sendable {
        /// The scheduled slot this run claims in `ops.job_runs` (scheduler runs only): the claim is made
        /// before the lock is taken, so a slot runs once across replicas even after the lock is free again.
        package var slot: Date?
        /// Cancel the job when it runs longer; the run is recorded as failed.
        package var timeout: Duration?
        /// Attempts of the job body for transient failures, within the same run row and lock.
        package var retry: RetryPolicy
        /// Where an end that cannot be recorded (PostgreSQL down when the run ends) is kept until it can
        /// be (the daemon's); without one, the end is retried a few times before `run` returns.
        package var backlog: RunEndBacklog?
        /// Set by the scheduler when it retries a slot whose previous attempt failed before it started:
        /// a `running` claim of the slot by this process is then that attempt's (its INSERT committed but
        /// the reply was lost with the connection) and is resumed instead of skipped as claimed.
        package var resumesOwnClaim = false
        /// Identifies this slot's claim attempts (stored in the claim row's details until the run ends),
        /// so a resumed claim is this attempt's own, not another replica's in the same process and host.
        package var claimToken: String?

        package init(slot: Date? = nil, timeout: Duration? = nil, retry: RetryPolicy = .none, backlog: RunEndBacklog? = nil) {
            self.slot = slot
            self.timeout = timeout
            self.retry = retry
            self.backlog = backlog
        }
    }

    /// Why a run did not start.
    package enum SkipReason: String, Sendable, CaseIterable {
        /// Another instance holds the job's advisory lock (recorded as a `skipped` run).
        case locked
        /// Another instance already claimed this slot (nothing recorded: the claimant's row is the record).
        case claimed
        /// The caller was cancelled (the daemon is shutting down) before the job started.
        case shutdown
    }

    /// The result of one run, as printed and exported.
    package struct Report: Sendable {
        package let job: String
        package let status: JobRunStatus
        package let outcome: JobOutcome?
        package let error: (any Error)?
        package let startedAt: Date
        package let duration: Duration
        package let runID: Int64?
        /// Set when `status` is `.skipped`.
        package let skipReason: SkipReason?
        /// How many times the job body ran (0 when it did not start).
        package let attempts: Int
        /// The webhook delivery this run started (`NOTIFY_WEBHOOK_URL`), if any: one-shot runs wait
        /// for it (bounded) before exiting; the daemon lets it finish in the background.
        package var notification: Task<Void, Never>?

        package init(job: String, status: JobRunStatus, outcome: JobOutcome? = nil, error: (any Error)? = nil, startedAt: Date = Date(),
                    duration: Duration = .zero, runID: Int64? = nil, skipReason: SkipReason? = nil, attempts: Int = 0) {
            self.job = job
            self.status = status
            self.outcome = outcome
            self.error = error
            self.startedAt = startedAt
            self.duration = duration
            self.runID = runID
            self.skipReason = skipReason
            self.attempts = attempts
        }

        /// The process exit code for this result (README, "Exit codes").
        package var exitCode: Int32 {
            switch status {
            case .succeeded, .running: return ExitCode.ok
            case .warning: return ExitCode.warning
            case .skipped: return ExitCode.skipped
            case .failed, .interrupted: return (error as? OpsError)?.code.exitCode ?? ExitCode.failure
            }
        }

        /// Whether the run failed before anything was recorded, for a reason worth retrying (the store
        /// was unreachable): the slot, if any, is still unclaimed.
        package var failedTransientlyBeforeStart: Bool {
            status == .failed && runID == nil && attempts == 0 && error.map(RetryPolicy.isTransient) == true
        }
    }

    /// Runs `job` once.
    ///
    /// When PostgreSQL cannot be reached and the job does not need history (e.g. `health`), a run without
    /// a slot still runs unrecorded; otherwise (and always for a scheduled slot, which must be claimed
    /// before it runs) the store error is the run's result.
    package func run(_ job: some OpsJob, slot: Date? = nil) async -> Report {
        await run(job, options: RunOptions(slot: slot))
    }

    /// Runs `job` once with a slot claim, a timeout and retries (see ``RunOptions``).
    package func run(_ job: some OpsJob, options: RunOptions) async -> Report {
        let started = Date()
        let clock = ContinuousClock()
        let begin = clock.now
        var logger = context.logger
        logger[metadataKey: "job"] = "\(job.name)"
        if let slot = options.slot { logger[metadataKey: "slot"] = "\(slot.formatted(.iso8601))" }
        let jobName = job.name
        func report(_ status: JobRunStatus, _ outcome: JobOutcome?, _ error: (any Error)?, _ id: Int64?,
                    skip: SkipReason? = nil, attempts: Int = 0) -> Report {
            Report(job: jobName, status: status, outcome: outcome, error: error, startedAt: started,
                   duration: clock.now - begin, runID: id, skipReason: skip, attempts: attempts)
        }

        let context = self.context
        let runLogger = logger
        let requiresHistory = job.requiresHistory
        let prepared = await Self.shielded {
            await Self.prepare(job: jobName, requiresHistory: requiresHistory, context: context, slot: options.slot,
                               timeout: options.timeout, resumesOwnClaim: options.resumesOwnClaim, claimToken: options.claimToken, logger: runLogger)
        }
        let session: Session
        switch prepared {
        case .done(let status, let error, let skip, let id):
            return report(status, nil, error, id, skip: skip)
        case .ready(let ready):
            session = ready
        }

        // Cancelled while preparing (e.g. the daemon began shutting down while this run waited for its
        // connection): do not start the job now; record the slot as skipped, not as a failed run.
        if Task.isCancelled {
            let skipped = report(.skipped, JobOutcome(status: .skipped, details: ["reason": "shutdown"]), OpsError(.skipped, "\(jobName) not started: shutting down"), session.runID, skip: .shutdown)
            _ = await Self.shielded { await session.finish(skipped, configuration: context.configuration, backlog: options.backlog, logger: runLogger) }
            return skipped
        }

        var jobContext = context
        jobContext.logger = logger
        let body = await Self.runBody(job, context: jobContext, options: options)
        var result: Report
        switch body.result {
        case .success(var outcome):
            if body.attempts > 1, case .object(var fields) = outcome.details {
                fields["attempts"] = .int(Int64(body.attempts))
                outcome.details = .object(fields)
            }
            result = report(outcome.status, outcome, nil, session.runID, attempts: body.attempts)
        case .failure(let error):
            let mapped = Stores.opsError(error)
            let skipped = (mapped as? OpsError)?.code == .skipped
            result = report(skipped ? .skipped : .failed, nil, mapped, session.runID, attempts: body.attempts)
        }

        let finished = result
        let previous = await Self.shielded { await session.finish(finished, configuration: context.configuration, backlog: options.backlog, logger: runLogger) }
        if let url = context.configuration.notifyWebhookURL, let event = WebhookNotifier.event(status: result.status, previous: previous) {
            let body = WebhookNotifier.payload(event, report: result, trigger: context.trigger, host: JobRunHistory.hostName)
            result.notification = Task { await WebhookNotifier(url: url).deliver(body, logger: runLogger) }
        }
        return result
    }

    /// Runs `body` in a task that the caller's cancellation does not reach, so bookkeeping completes.
    static func shielded<T: Sendable>(_ body: @escaping @Sendable () async -> T) async -> T {
        await Task { await body() }.value
    }
}
