import Foundation

/// `backup prune`'s grandfather-father-son rule: which backups to keep, and why.
///
/// Counting from the newest backup: the last `keepLast`; the newest backup of each of the last
/// `keepDaily` days that have backups (UTC); likewise per ISO week and per month. The newest verified
/// backup is always kept, whatever the counts. Everything else is deleted.
public struct PrunePolicy: Sendable, Hashable {
    public var keepLast: Int
    public var keepDaily: Int
    public var keepWeekly: Int
    public var keepMonthly: Int

    public init(keepLast: Int = 0, keepDaily: Int = 0, keepWeekly: Int = 0, keepMonthly: Int = 0) {
        self.keepLast = keepLast
        self.keepDaily = keepDaily
        self.keepWeekly = keepWeekly
        self.keepMonthly = keepMonthly
    }

    /// A backup as the policy sees it.
    public struct Candidate: Sendable, Hashable {
        public var id: String
        public var date: Date
        public var verified: Bool

        public init(id: String, date: Date, verified: Bool) {
            self.id = id
            self.date = date
            self.verified = verified
        }
    }

    /// The verdict on one backup.
    public struct Decision: Sendable, Hashable {
        public var id: String
        public var keep: Bool
        /// Why it is kept, e.g. `last 1`, `daily 2026-11-26`, `weekly 2026-W48`, `monthly 2026-11`,
        /// `newest verified`; empty for a backup to delete.
        public var reasons: [String]
    }

    /// Refuses a policy that would delete every backup.
    public func validate() throws {
        guard [keepLast, keepDaily, keepWeekly, keepMonthly].allSatisfy({ $0 >= 0 }) else {
            throw BackupError(.usage, "--keep-* counts cannot be negative")
        }
        guard keepLast + keepDaily + keepWeekly + keepMonthly > 0 else {
            throw BackupError(.usage, "backup prune needs at least one of --keep-last, --keep-daily, --keep-weekly, --keep-monthly above 0")
        }
    }

    /// Decides for every candidate; the result is newest first.
    public func decide(_ candidates: [Candidate]) -> [Decision] {
        let newestFirst = candidates.sorted { ($0.date, $0.id) > ($1.date, $1.id) }
        var reasons = Array(repeating: [String](), count: newestFirst.count)
        for index in newestFirst.indices.prefix(keepLast) {
            reasons[index].append("last \(index + 1)")
        }
        for (count, label, key) in [(keepDaily, "daily", Self.day), (keepWeekly, "weekly", Self.week), (keepMonthly, "monthly", Self.month)] {
            var seen: Set<String> = []
            for (index, candidate) in newestFirst.enumerated() where seen.count < count {
                let bucket = key(candidate.date)
                if seen.insert(bucket).inserted { reasons[index].append("\(label) \(bucket)") }
            }
        }
        if let index = newestFirst.firstIndex(where: \.verified) {
            reasons[index].append("newest verified")
        }
        return zip(newestFirst, reasons).map { Decision(id: $0.id, keep: !$1.isEmpty, reasons: $1) }
    }

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    private static func pad(_ value: Int, _ width: Int = 2) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    static func day(_ date: Date) -> String {
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return "\(pad(c.year!, 4))-\(pad(c.month!))-\(pad(c.day!))"
    }

    static func week(_ date: Date) -> String {
        let c = calendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: date)
        return "\(pad(c.yearForWeekOfYear!, 4))-W\(pad(c.weekOfYear!))"
    }

    static func month(_ date: Date) -> String {
        let c = calendar.dateComponents([.year, .month], from: date)
        return "\(pad(c.year!, 4))-\(pad(c.month!))"
    }
}
