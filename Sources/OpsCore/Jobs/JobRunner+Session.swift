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
        /// during a long job) is replaced once to record the end; its lock went with it.
        /// - Returns: the status of the job's previous finished run, when a webhook wants to know it.
        @discardableResult
        func finish(_ report: Report, configuration: OpsConfiguration, logger: Logger) async -> JobRunStatus? {
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
                    do {
                        try await Stores.withPostgres(configuration) { fresh in
                            try await JobRunHistory(connection: fresh).finish(id: runID, status: report.status, details: details, error: message)
                        }
                    } catch {
                        logger.error("cannot record the end of run \(runID): \(Stores.opsError(error))")
                    }
                }
            }
            if let connection {
                if recording { _ = try? await connection.advisoryUnlock(lock.value) }
                await connection.close()
            }
            return previous
        }
    }

    /// Connects, checks the history, claims the slot (if any) and takes the job's lock.
    ///
    /// With a slot the claim comes first: a replica whose clock is late finds the lock free once the
    /// slot's run has ended, but the (job, slot) row already exists, so it skips. A claimed slot whose
    /// lock is held (the previous slot's run is still going) becomes a `skipped` row: the slot is spent.
    /// Without a slot (manual and cron runs) the lock comes first and a skip is recorded as its own row.
    static func prepare(job: String, requiresHistory: Bool, context: JobContext, slot: Date?, logger: Logger) async -> Prepared {
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
                    runID = try await history.start(job: job, trigger: context.trigger, slot: slot)
                } catch let error as PostgresError where error.sqlState == "23505" {
                    logger.debug("skipped: another instance claimed this slot")
                    return await end(.skipped, OpsError(.skipped, "\(job) skipped: another instance claimed this slot"), .claimed)
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
                let runID = try await history.start(job: job, trigger: context.trigger, slot: nil)
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
