import Foundation
import Logging
import OpsCore
import PGClient

/// Which slots to run at start because the daemon was down when they passed.
///
/// For each line with a catch-up window, the job's *coverage* is read from `ops.job_runs`: the latest
/// of its newest claimed slot and the start of its newest run that was not skipped (so a manual or cron
/// run after the missed slot counts). The latest slot after the coverage, within the window and not in
/// the future, runs once; older missed slots are never replayed. A job with no history at all has
/// missed nothing (the daemon is new), so a fresh deployment does not start with a burst of runs.
struct CatchUp {
    let context: JobContext
    let clock: any SchedulerClock
    let logger: Logger

    /// The (line, slot) pairs to run now, at most one per line.
    func missedSlots(_ schedule: Schedule) async -> [(Schedule.Item, Date)] {
        let items = schedule.items.filter { $0.policy.catchUp > .zero }
        guard !items.isEmpty else { return [] }
        let now = clock.now()
        do {
            return try await Stores.withPostgres(context.configuration) { connection in
                var missed: [(Schedule.Item, Date)] = []
                for item in items {
                    do {
                        guard let covered = try await Self.coverage(of: item.name, on: connection),
                              let slot = Self.latestMissedSlot(item.entry, coveredUntil: covered, window: item.policy.catchUp, now: now)
                        else { continue }
                        missed.append((item, slot))
                    } catch {
                        logger.warning("cannot look for missed slots of \(item.name): \(Stores.opsError(error))")
                    }
                }
                return missed
            }
        } catch {
            logger.warning("cannot look for missed slots: \(Stores.opsError(error))")
            return []
        }
    }

    /// The newest of the job's claimed slots and its non-skipped run starts, or nil without history.
    static func coverage(of job: String, on connection: PostgresConnection) async throws -> Date? {
        let row = try await connection.query(Self.coverageSQL, [job])
        return try row.first?.decode(Date?.self, "covered")
    }

    /// The latest slot in `(max(coveredUntil, now - window), now]`, or nil.
    static func latestMissedSlot(_ entry: CronScheduleFile.Entry, coveredUntil covered: Date, window: Duration, now: Date) -> Date? {
        let windowStart = now.addingTimeInterval(-Double(window.components.seconds))
        var cursor = max(covered, windowStart)
        var latest: Date?
        // Bounded: a minutely line with a 30-day window is 43 200 steps; stop well above that.
        for _ in 0..<100_000 {
            guard let next = entry.next(after: cursor), next <= now else { break }
            latest = next
            cursor = next
        }
        return latest
    }
}
