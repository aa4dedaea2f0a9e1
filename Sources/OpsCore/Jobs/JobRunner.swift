import Foundation
import Logging
import PGClient

/// Runs a job the way every trigger does: under the job's advisory lock (one run at a time across all
/// machines), recorded in `ops.job_runs` from start to end.
public struct JobRunner: Sendable {
    public let context: JobContext

    public init(context: JobContext) {
        self.context = context
    }

    /// The result of one run, as printed and exported.
    public struct Report: Sendable {
        public let job: String
        public let status: JobRunStatus
        public let outcome: JobOutcome?
        public let error: Error?
        public let startedAt: Date
        public let duration: Duration
        public let runID: Int64?

        /// The process exit code for this result (README, "Exit codes").
        public var exitCode: Int32 {
            switch status {
            case .succeeded, .running: return ExitCode.ok
            case .warning: return ExitCode.warning
            case .skipped: return ExitCode.skipped
            case .failed: return (error as? OpsError)?.code.exitCode ?? ExitCode.failure
            }
        }
    }

    /// Runs `job` once.
    ///
    /// When PostgreSQL cannot be reached and the job does not need history (e.g. `health`), it still runs
    /// unrecorded; otherwise the store error is the run's result.
    public func run(_ job: some OpsJob, slot: Date? = nil) async -> Report {
        let started = Date()
        let clock = ContinuousClock()
        let begin = clock.now
        var logger = context.logger
        logger[metadataKey: "job"] = "\(job.name)"
        func report(_ status: JobRunStatus, _ outcome: JobOutcome?, _ error: Error?, _ id: Int64?) -> Report {
            Report(job: job.name, status: status, outcome: outcome, error: error, startedAt: started, duration: clock.now - begin, runID: id)
        }

        var connection: PostgresConnection?
        do {
            connection = try await Stores.postgres(context.configuration)
        } catch {
            if job.requiresHistory { return report(.failed, nil, error, nil) }
            logger.warning("running without history: PostgreSQL unavailable")
        }
        let history = connection.map { JobRunHistory(connection: $0) }

        var recording = false
        if let history {
            do {
                recording = try await history.isAvailable()
                if !recording && job.requiresHistory {
                    return report(.failed, nil, OpsError(.configuration, "the ops schema is missing; run 'auto-i18n-ops schema migrate' first"), nil)
                }
            } catch {
                if job.requiresHistory { return report(.failed, nil, Stores.opsError(error), nil) }
            }
        }

        let lock = AdvisoryLockKey.forName("job:\(job.name)")
        if let connection, recording {
            do {
                guard try await connection.tryAdvisoryLock(lock.value) else {
                    logger.notice("skipped: another instance is running this job")
                    try? await history?.recordSkipped(job: job.name, trigger: context.trigger, slot: slot, reason: "already running")
                    return report(.skipped, nil, OpsError(.skipped, "\(job.name) skipped: another instance is already running it"), nil)
                }
            } catch {
                return report(.failed, nil, Stores.opsError(error), nil)
            }
        }

        var runID: Int64?
        if let history, recording {
            do { runID = try await history.start(job: job.name, trigger: context.trigger, slot: slot) }
            catch {
                _ = try? await connection?.advisoryUnlock(lock.value)
                return report(.failed, nil, Stores.opsError(error), nil)
            }
        }

        var jobContext = context
        jobContext.logger = logger
        let result: Report
        do {
            let outcome = try await job.run(jobContext)
            result = report(outcome.status, outcome, nil, runID)
        } catch {
            let mapped = Stores.opsError(error)
            result = report((mapped as? OpsError)?.code == .skipped ? .skipped : .failed, nil, mapped, runID)
        }

        if let history, let runID {
            let message = result.error.map { String(describing: $0) }
            try? await history.finish(id: runID, status: result.status, details: result.outcome?.details ?? [:], error: message)
        }
        if let connection, recording { _ = try? await connection.advisoryUnlock(lock.value) }
        return result
    }
}
