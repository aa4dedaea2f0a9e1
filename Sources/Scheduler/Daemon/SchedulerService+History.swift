import Foundation
import Logging
import OpsCore
import PGClient

extension SchedulerService {
    /// At start and then every prune interval (real time): marks `running` rows whose run is gone as
    /// `interrupted` (``JobRunHistory/markInterrupted(exceptRun:ownJob:)``) and deletes `ops.job_runs`
    /// rows older than the retention (unless it is 0). Every replica may do it; both are idempotent.
    func startPruner() -> Task<Void, Never> {
        let days = configuration.historyRetentionDays
        let interval = configuration.historyPruneInterval
        let configuration = self.configuration.context.configuration
        let logger = self.logger
        return Task {
            while !Task.isCancelled {
                do {
                    let marked = try await Stores.withPostgres(configuration) { connection in
                        try await JobRunHistory(connection: connection).markInterrupted(exceptRun: nil)
                    }
                    if marked > 0 { logger.notice("marked \(marked) run(s) whose process is gone as interrupted") }
                } catch {
                    logger.warning("cannot look for interrupted runs in ops.job_runs: \(Stores.opsError(error))")
                }
                if days > 0 {
                    do {
                        let deleted = try await Self.pruneHistory(olderThanDays: days, configuration: configuration)
                        if deleted > 0 { logger.info("pruned \(deleted) run(s) older than \(days) days from ops.job_runs") }
                    } catch {
                        logger.warning("cannot prune ops.job_runs: \(Stores.opsError(error))")
                    }
                }
                do { try await Task.sleep(for: interval) } catch { return }
            }
        }
    }

    /// Deletes runs that started more than `days` days ago; returns how many.
    package static func pruneHistory(olderThanDays days: Int, configuration: OpsConfiguration) async throws -> Int {
        try await Stores.withPostgres(configuration) { connection in
            try await connection.query(pruneHistorySQL, [days]).affectedRows ?? 0
        }
    }

    static let pruneHistorySQL = "DELETE FROM ops.job_runs WHERE started_at < now() - make_interval(days => $1)"
}
