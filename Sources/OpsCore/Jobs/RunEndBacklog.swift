import Foundation
import Logging
import OpsSupport

/// Ends of runs that could not be recorded because PostgreSQL was unreachable when they ended. They are
/// kept (in memory) and recorded when the database is back, never dropped: the daemon retries them
/// every few seconds for as long as it runs (``retry(every:configuration:logger:)``); a one-shot run
/// tries a few times before it exits (``JobRunner/Session/finish(_:configuration:logger:)``).
///
/// Recording an end is idempotent (an UPDATE of the run's row by id), and the real end replaces an
/// `interrupted` mark another host may have made meanwhile.
package actor RunEndBacklog {
    /// One run's end, as `JobRunHistory.finish` records it.
    package struct Entry: Sendable {
        package let runID: Int64
        package let job: String
        package let status: JobRunStatus
        package let details: JSONValue
        package let error: String?
    }

    private var entries: [Entry] = []

    package init() {}

    /// How many ends wait to be recorded.
    package var count: Int { entries.count }

    func add(_ entry: Entry) {
        entries.append(entry)
    }

    /// Records every kept end it can on one fresh connection; returns how many remain.
    @discardableResult
    package func flush(configuration: OpsConfiguration, logger: Logger) async -> Int {
        let pending = entries
        guard !pending.isEmpty else { return 0 }
        let recorded = await Self.record(pending, configuration: configuration, logger: logger)
        entries.removeAll { recorded.contains($0.runID) }
        return entries.count
    }

    /// Flushes every `interval` until the calling task is cancelled.
    package func retry(every interval: Duration, configuration: OpsConfiguration, logger: Logger) async {
        while !Task.isCancelled {
            if !entries.isEmpty { await flush(configuration: configuration, logger: logger) }
            do { try await Task.sleep(for: interval) } catch { return }
        }
    }

    private static func record(_ pending: [Entry], configuration: OpsConfiguration, logger: Logger) async -> Set<Int64> {
        var recorded = Set<Int64>()
        do {
            try await Stores.withPostgres(configuration) { connection in
                let history = JobRunHistory(connection: connection)
                for entry in pending {
                    try await history.finish(id: entry.runID, status: entry.status, details: entry.details, error: entry.error)
                    recorded.insert(entry.runID)
                    logger.notice("recorded the end of a run that PostgreSQL could not take when it ended",
                                  metadata: ["job": "\(entry.job)", "run": "\(entry.runID)", "status": "\(entry.status.rawValue)"])
                }
            }
        } catch {
            logger.debug("the ends of \(pending.count - recorded.count) run(s) still cannot be recorded: \(Stores.opsError(error))")
        }
        return recorded
    }
}
