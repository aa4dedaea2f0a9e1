import Cache
import Foundation
import Logging
import OpsCore
import PGClient

/// The nightly `retention` job: session expiry with cache invalidation, then batch archival (and, when
/// asked, deletion of long-archived batch rows). Runs under the job's advisory lock via `JobRunner`.
///
/// Outcome: succeeded; or warning (exit 10) when the cache could not be invalidated, the run stopped
/// at `--max-runtime` with work left, or a batch could not be archived — the database work that was
/// done stays done either way.
package struct RetentionJob: OpsJob {
    package let name = "retention"
    package let options: RetentionOptions

    package init(options: RetentionOptions) {
        self.options = options
    }

    /// Checks the archive repository's URL and the recipients before the job runs (exit 2 on bad
    /// input): what `retention` would archive to and encrypt for, or nothing when it archives nothing.
    package static func preflight(_ configuration: OpsConfiguration, options: RetentionOptions) throws {
        guard options.scope != .sessions, !options.dryRun else { return }
        _ = try BatchArchiveRepository.open(configuration, recipients: options.recipients)
    }

    package func run(_ context: JobContext) async throws -> JobOutcome {
        let options = try options.validate()
        return try await Stores.withPostgres(context.configuration) { connection in
            try await run(context, options: options, connection: connection)
        }
    }

    private func run(_ context: JobContext, options: RetentionOptions, connection: PostgresConnection) async throws -> JobOutcome {
        let configuration = context.configuration
        var report = RetentionReport()
        report.dryRun = options.dryRun
        let doSessions = options.scope != .batches
        let doBatches = options.scope != .sessions

        if options.dryRun {
            if doSessions {
                report.wouldDelete += try await SessionExpiry.count(connection: connection, referenceTime: options.referenceTime)
            }
            if doBatches {
                let due = try await BatchArchiver.count(connection: connection, configuration: configuration, referenceTime: options.referenceTime)
                report.batchesWouldArchive = due.batches
                report.batchRequestsWouldArchive = due.requests
            }
            return JobOutcome(details: report.details)
        }

        // The archive repository and its recipients are checked before anything is deleted.
        let archiveRepository = doBatches ? try BatchArchiveRepository.open(configuration, recipients: options.recipients) : nil
        let deadline = options.maxRuntime.map { ContinuousClock.now + $0 } ?? ContinuousClock.now + .seconds(100 * 365 * 86_400)
        var transactions = try await BoundedTransaction.configure(connection, options: options)
        var warnings: [String] = []
        let cache = CacheInvalidator(configuration: configuration, logger: context.logger)
        defer { cache.close() }
        let sizesBefore = options.vacuum == .auto ? try await DeletionVacuum.sizes(connection: connection) : [:]

        // VACUUM after large deletions (DeletionVacuum). What each table lost since it was last
        // vacuumed in this run decides the next; a table skipped or failed keeps its whole count.
        var vacuumedAt = TableCounts()
        func vacuum(_ report: inout RetentionReport, _ warnings: inout [String]) async throws {
            let due = DeletionVacuum.due(policy: options.vacuum, deleted: report.deleted - vacuumedAt, sizesBefore: sizesBefore)
            let done = try await DeletionVacuum.run(due, connection: connection, options: options, deadline: deadline, logger: context.logger)
            report.vacuumed += done.vacuumed.filter { !report.vacuumed.contains($0) }
            report.vacuumSeconds += done.seconds
            warnings += done.warnings
            for table in done.vacuumed { vacuumedAt[table: table] = report.deleted[table: table] }
        }

        if doSessions {
            // Newest-expired first (SessionExpiry); with VACUUM on, the oldest `vacuumTailSessions` go last,
            // after the VACUUM, so the dead index entries never pile up at the indexes' low end.
            let floor = options.vacuum == .never ? nil
                : try await SessionExpiry.floor(connection: connection, referenceTime: options.referenceTime, keep: options.vacuumTailSessions)
            try await SessionExpiry.run(transactions: &transactions, options: options, logger: context.logger,
                                        report: &report, deadline: deadline, wantSenders: cache.isEnabled, floor: floor) { senders in
                await cache.invalidateSessions(senders)
            }
            if let floor, !report.stoppedAtMaxRuntime {
                try await vacuum(&report, &warnings)
                try await SessionExpiry.run(transactions: &transactions, options: options, logger: context.logger,
                                            report: &report, deadline: deadline, wantSenders: cache.isEnabled, start: floor) { senders in
                    await cache.invalidateSessions(senders)
                }
            }
            report.expiredSessionsRemaining = try await SessionExpiry.remaining(connection: connection, referenceTime: options.referenceTime)
        }
        if doBatches, let repository = archiveRepository {
            let archiver = BatchArchiver(configuration: configuration, options: options, logger: context.logger, repository: repository)
            try await archiver.run(transactions: &transactions, report: &report, warnings: &warnings, deadline: deadline)
            if let days = options.deleteArchivedBatchesAfterDays {
                try await BatchArchiver.deleteArchived(olderThanDays: days, transactions: &transactions, options: options,
                                                       report: &report, deadline: deadline)
            }
            report.batchesArchivableRemaining = try await BatchArchiver.remaining(
                connection: connection, configuration: configuration, referenceTime: options.referenceTime)
        }
        // The dashboard summarises sessions and batches; drop it once if either changed.
        if report.deleted.total > 0 || report.batchesArchived > 0 {
            await cache.invalidateDashboard()
        }

        try await vacuum(&report, &warnings)

        report.cacheKeysDeleted = cache.keysDeleted
        report.cacheInvalidation = cache.state.rawValue
        report.longestTransactionSeconds = transactions.longestSeconds
        report.transactions = transactions.count
        if let warning = cache.warning { warnings.append(warning) }
        if report.stoppedAtMaxRuntime {
            let left = [report.expiredSessionsRemaining.map { "\($0) expired sessions" },
                        report.batchesArchivableRemaining.map { "\($0) batches due for archival" }]
                .compactMap { $0 }.joined(separator: " and ")
            warnings.append("stopped at --max-runtime with \(left.isEmpty ? "work" : left) left; the next run continues")
        }
        return JobOutcome(details: report.details, warnings: warnings)
    }
}
