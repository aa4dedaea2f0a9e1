import Foundation
import OpsCore

/// `backup prune`'s grandfather-father-son rule: which backups to keep, and why.
///
/// Counting from the newest backup: the last `keepLast`; the newest backup of each of the last
/// `keepDaily` days that have backups (UTC); likewise per ISO week and per month. The newest verified
/// backup is always kept, whatever the counts. Everything else is deleted.
package struct PrunePolicy: Sendable, Hashable {
    package var keepLast: Int
    package var keepDaily: Int
    package var keepWeekly: Int
    package var keepMonthly: Int

    package init(keepLast: Int = 0, keepDaily: Int = 0, keepWeekly: Int = 0, keepMonthly: Int = 0) {
        self.keepLast = keepLast
        self.keepDaily = keepDaily
        self.keepWeekly = keepWeekly
        self.keepMonthly = keepMonthly
    }

    /// A backup as the policy sees it.
    package struct Candidate: Sendable, Hashable {
        package var id: String
        package var date: Date
        package var verified: Bool

        package init(id: String, date: Date, verified: Bool) {
            self.id = id
            self.date = date
            self.verified = verified
        }
    }

    /// The verdict on one backup.
    package struct Decision: Sendable, Hashable {
        package var id: String
        package var keep: Bool
        /// Why it is kept, e.g. `last 1`, `daily 2026-11-26`, `weekly 2026-W48`, `monthly 2026-11`,
        /// `newest verified`; empty for a backup to delete.
        package var reasons: [String]
    }

    /// Refuses a policy that would delete every backup.
    package func validate() throws {
        guard [keepLast, keepDaily, keepWeekly, keepMonthly].allSatisfy({ $0 >= 0 }) else {
            throw BackupError(.usage, "--keep-* counts cannot be negative")
        }
        guard keepLast + keepDaily + keepWeekly + keepMonthly > 0 else {
            throw BackupError(.usage, "backup prune needs at least one of --keep-last, --keep-daily, --keep-weekly, --keep-monthly above 0")
        }
    }

    /// Every backup, newest first, with the reasons it is kept: the GFS rules shared with snapshot
    /// copies (`GFSPolicy`), plus "newest verified", so prune never deletes the newest verified backup.
    package func decide(_ candidates: [Candidate]) -> [Decision] {
        let rules = GFSPolicy(unchecked: keepLast, keepDaily, keepWeekly, keepMonthly)
        var decided = rules.decide(candidates.sorted { ($0.date, $0.id) > ($1.date, $1.id) }, date: \.date)
        if let index = decided.firstIndex(where: { $0.item.verified }) {
            decided[index].reasons.append("newest verified")
        }
        return decided.map { Decision(id: $0.item.id, keep: !$0.reasons.isEmpty, reasons: $0.reasons) }
    }
}
