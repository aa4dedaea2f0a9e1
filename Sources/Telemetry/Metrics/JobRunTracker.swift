import Foundation
import OpsCore
import OpsSupport

/// Turns `ops.job_runs` into monotonic counters: each run is counted once, when this process first sees
/// it ended, whichever replica or cron one-shot ran it.
///
/// Why not `count(*)` over the table: the daemon deletes rows older than 90 days, and a counter that
/// goes down looks to Prometheus like a restart, so `rate()`/`increase()` would count the whole history
/// again. Counting in-process from a cursor keeps counters monotonic; they start at 0 when the process
/// starts, like any exporter's.
///
/// The cursor is a watermark id: every row below it has been seen ended (or is remembered as pending,
/// still running). Ids are assigned at insert but rows commit a moment later, so the watermark never
/// passes a row that started in the last two minutes: a row with a smaller id that was still
/// uncommitted at one refresh is seen at the next.
struct JobRunTracker: Sendable {
    /// One row as the refresh query returns it.
    struct Row: Sendable, Equatable {
        var id: Int64
        var job: String
        var status: String
        /// finished_at − started_at, for ended rows.
        var duration: Double?
        /// details->>'reason' of skipped rows.
        var reason: String?
        /// details of ended retention runs (the only job whose figures are counters).
        var details: JSONValue?
        /// Started within the last two minutes (its neighbours may not be committed yet).
        var recent: Bool
        /// Ended before this process started: part of the history, not of the counters.
        var endedBeforeStart: Bool = false
    }

    /// Rows with `id >= watermark` are queried every refresh.
    private(set) var watermark: Int64
    /// Running rows below the watermark, queried by id until they end.
    private(set) var pending: Set<Int64>
    /// Ended rows at or above the watermark already counted (or ended before the process started).
    private var counted: Set<Int64> = []

    /// - Parameters:
    ///   - watermark: the first row to look at (the oldest recent or running row, or max(id) + 1).
    ///   - running: ids of rows running at start.
    init(watermark: Int64, running: [Int64]) {
        self.watermark = watermark
        self.pending = Set(running.filter { $0 < watermark })
    }

    /// Takes the rows of one refresh (`id >= watermark OR id IN pending`, ordered by id) and returns
    /// the ended rows to count now. Rows that ended before the process started are remembered, not
    /// counted: counters start at 0 with the process.
    mutating func ingest(_ rows: [Row]) -> [Row] {
        var fresh: [Row] = []
        var present = Set<Int64>()
        for row in rows {
            present.insert(row.id)
            guard row.status != "running", !counted.contains(row.id) else { continue }
            if !row.endedBeforeStart { fresh.append(row) }
            counted.insert(row.id)
            pending.remove(row.id)
        }
        // A pending row that no longer comes back was deleted (history pruning): forget it.
        pending = pending.filter { present.contains($0) }

        var next = (rows.map(\.id).max() ?? watermark - 1) + 1
        if let firstRecent = rows.first(where: { $0.id >= watermark && $0.recent }) { next = min(next, firstRecent.id) }
        next = max(next, watermark)
        for row in rows where row.id < next && row.status == "running" { pending.insert(row.id) }
        counted = counted.filter { $0 >= next }
        watermark = next
        return fresh
    }
}
