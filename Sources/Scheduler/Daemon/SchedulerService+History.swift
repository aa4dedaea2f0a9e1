import Foundation
import Logging
import OpsCore
import PGClient

extension SchedulerService {
    /// Deletes `ops.job_runs` rows older than the retention, at start and then every prune interval
    /// (real time). Every replica may do it; the deletes are idempotent.
    func startPruner() -> Task<Void, Never> {
        let days = configuration.historyRetentionDays
        let interval = configuration.historyPruneInterval
        let configuration = self.configuration.context.configuration
        let logger = self.logger
        return Task {
            guard days > 0 else { return }
            while !Task.isCancelled {
                do {
                    let deleted = try await Self.pruneHistory(olderThanDays: days, configuration: configuration)
                    if deleted > 0 { logger.info("pruned \(deleted) run(s) older than \(days) days from ops.job_runs") }
                } catch {
                    logger.warning("cannot prune ops.job_runs: \(Stores.opsError(error))")
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
