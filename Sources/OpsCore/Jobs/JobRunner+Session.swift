import Foundation
import Logging
import OpsSupport
import PGClient

extension JobRunner {
    /// What `prepare` found: either the run ends before it starts, or it may start.
    enum Prepared: Sendable {
        case done(JobRunStatus, (any Error)?, SkipReason?, Int64?)
        case ready(Session)
    }

    /// The connection that holds the job's lock and records the run.
    struct Session: Sendable {
        let connection: PostgresConnection?
        let recording: Bool
        let runID: Int64?
        let lock: AdvisoryLockKey
        let job: String

        /// Records the end of the run and releases the lock. A lost connection (the server restarted
        /// during a long job) is replaced to record the end; its lock went with it. When PostgreSQL is
        /// unreachable the end is kept, not dropped: handed to `backlog` (the daemon records it when the
        /// database is back), or, without one, retried for a few seconds before giving up.
        /// - Returns: the status of the job's previous finished run, when a webhook wants to know it.
        @discardableResult
        func finish(_ report: Report, configuration: OpsConfiguration, backlog: RunEndBacklog?, logger: Logger) async -> JobRunStatus? {
            var previous: JobRunStatus?
            if configuration.notifyWebhookURL != nil, let connection, let runID {
                previous = try? await JobRunHistory(connection: connection).previousFinishedStatus(job: job, before: runID)
            }
            if let runID {
                let message = report.error.map { String(describing: $0) }
                let details = report.outcome?.details ?? [:]
                do {
                    guard let connection else { throw PostgresError(.closed, "no connection") }
                    try await JobRunHistory(connection: connection).finish(id: runID, status: report.status, details: details, error: message)
                } catch {
                    let entry = RunEndBacklog.Entry(runID: runID, job: job, status: report.status, details: details, error: message)
                    let kept = backlog ?? RunEndBacklog()
                    await kept.add(entry)
                    if await kept.flush(configuration: configuration, logger: logger) > 0 {
                        if backlog != nil {
                            logger.warning("cannot record the end of run \(runID) now (\(Stores.opsError(error))); kept, recorded when PostgreSQL is back")
                        } else {
                            await Self.retryRecording(kept, runID: runID, configuration: configuration, logger: logger)
                        }
                    }
                }
            }
            if let connection {
                if recording { _ = try? await connection.advisoryUnlock(lock.value) }
                await connection.close()
            }
            return previous
        }

        /// A one-shot run's last tries to record its end (1 + 2 + 4 + 8 s), then the row stays `running`
        /// until a later run marks it `interrupted` (its process is gone then).
        static func retryRecording(_ kept: RunEndBacklog, runID: Int64, configuration: OpsConfiguration, logger: Logger) async {
            for seconds in [1, 2, 4, 8] {
                try? await Task.sleep(for: .seconds(seconds))
                if await kept.flush(configuration: configuration, logger: logger) == 0 { return }
            }
            logger.error("cannot record the end of run \(runID): PostgreSQL is unreachable; it stays 'running' until a later run marks it interrupted")
        }
    }

    /// Connects, checks the history, claims the slot (if any) and takes the job's lock.
    ///
    /// With a slot the claim comes first: a replica whose clock is late finds the lock free once the
    /// slot's run has ended, but the (job, slot) row already exists, so it skips. A claimed slot whose
    /// lock is held (the previous slot's run is still going) becomes a `skipped` row: the slot is spent.
    /// Without a slot (manual and cron runs) the lock comes first and a skip is recorded as its own row.
    ///
    /// A scheduled slot never runs unclaimed: when PostgreSQL is unreachable or has no `ops` schema, the
    /// slot's run fails before it starts (the scheduler retries the claim, then skips the slot as
    /// `unclaimed`), whether or not the job needs history.
    static func prepare(job: String, requiresHistory: Bool, context: JobContext, slot: Date?, timeout: Duration?,
                        resumesOwnClaim: Bool = false, claimToken: String? = nil, logger: Logger) async -> Prepared {
        let requiresHistory = requiresHistory || slot != nil
        var connection: PostgresConnection?
        do {
            connection = try await Stores.postgres(context.configuration)
        } catch {
            if requiresHistory { return .done(.failed, error, nil, nil) }
            logger.warning("running without history: PostgreSQL unavailable")
        }
        let lock = AdvisoryLockKey.forName("job:\(job)")
        guard let connection else {
            return .ready(Session(connection: nil, recording: false, runID: nil, lock: lock, job: job))
        }
        func end(_ status: JobRunStatus, _ error: (any Error)?, _ skip: SkipReason? = nil, _ id: Int64? = nil) async -> Prepared {
            await connection.close()
            return .done(status, error, skip, id)
        }

        let history = JobRunHistory(connection: connection)
        let recording: Bool
        do {
            recording = try await history.isAvailable()
        } catch {
            if requiresHistory { return await end(.failed, Stores.opsError(error)) }
            recording = false
        }
        if !recording {
            if requiresHistory {
                return await end(.failed, OpsError(.configuration, "the ops schema is missing; run 'auto-i18n-ops schema migrate' first"))
            }
            return .ready(Session(connection: connection, recording: false, runID: nil, lock: lock, job: job))
        }
        // An old binary left in cron after an upgrade must not run jobs against a schema it does not know.
        do {
            _ = try await MigrationRunner(logger: logger).status(on: connection)
        } catch let error as OpsError where error.code == .schemaTooNew {
            return await end(.failed, error)
        } catch {
            return await end(.failed, Stores.opsError(error))
        }

        let lockedMessage = OpsError(.skipped, "\(job) skipped: another instance is already running it")
        do {
            if let slot {
                let runID: Int64
                do {
                    runID = try await history.start(job: job, trigger: context.trigger, slot: slot, timeout: timeout, claim: claimToken)
                } catch let error as PostgresError where error.sqlState == "23505" {
                    // Our own earlier attempt's claim, committed although its reply was lost with the
                    // connection: it is still ours to run.
                    if resumesOwnClaim, let claimToken, let own = try await history.ownClaim(job: job, slot: slot, claim: claimToken) {
                        logger.notice("resuming this process's own claim of the slot", metadata: ["run": "\(own)"])
                        runID = own
                    } else {
                        logger.debug("skipped: another instance claimed this slot")
                        return await end(.skipped, OpsError(.skipped, "\(job) skipped: another instance claimed this slot"), .claimed)
                    }
                }
                do {
                    guard try await connection.tryAdvisoryLock(lock.value) else {
                        logger.notice("skipped: another instance is running this job")
                        try await history.finish(id: runID, status: .skipped, details: ["reason": "already running"], error: nil)
                        return await end(.skipped, lockedMessage, .locked, runID)
                    }
                } catch {
                    let mapped = Stores.opsError(error)
                    try? await history.finish(id: runID, status: .failed, details: [:], error: String(describing: mapped))
                    return await end(.failed, mapped, nil, runID)
                }
                if let stale = try? await history.markInterrupted(exceptRun: runID, ownJob: job), stale > 0 {
                    logger.notice("marked runs whose process is gone as interrupted", metadata: ["runs": "\(stale)"])
                }
                return .ready(Session(connection: connection, recording: true, runID: runID, lock: lock, job: job))
            }
            guard try await connection.tryAdvisoryLock(lock.value) else {
                logger.notice("skipped: another instance is running this job")
                try? await history.recordSkipped(job: job, trigger: context.trigger, reason: "already running")
                return await end(.skipped, lockedMessage, .locked)
            }
            do {
                let runID = try await history.start(job: job, trigger: context.trigger, slot: nil, timeout: timeout)
                if let stale = try? await history.markInterrupted(exceptRun: runID, ownJob: job), stale > 0 {
                    logger.notice("marked runs whose process is gone as interrupted", metadata: ["runs": "\(stale)"])
                }
                return .ready(Session(connection: connection, recording: true, runID: runID, lock: lock, job: job))
            } catch {
                _ = try? await connection.advisoryUnlock(lock.value)
                throw error
            }
        } catch {
            return await end(.failed, Stores.opsError(error))
        }
    }
}
