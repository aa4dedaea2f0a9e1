import Foundation

/// Which archives to keep: the newest N, plus the newest archive of each of the last D days, W ISO
/// weeks and M months (grandfather-father-son), all counted in UTC. An archive kept by any rule is kept.
///
/// Shared by database backups and DragonflyDB snapshot copies, so `--keep-last/--keep-daily/
/// --keep-weekly/--keep-monthly` mean the same everywhere. Like restic's `forget`, a period counts only
/// when it holds an archive: `--keep-daily 7` keeps the newest archive of each of the 7 most recent
/// days that have one, not of the last 7 calendar days.
///
/// Two safety rules: a policy with no rule keeps everything (pruning is opt-in), and the newest archive
/// is always kept, so a run can never delete the archive it just wrote.
package struct GFSPolicy: Sendable, Hashable, CustomStringConvertible {
    package var keepLast: Int
    package var keepDaily: Int
    package var keepWeekly: Int
    package var keepMonthly: Int

    /// - Parameters:
    ///   - keepLast: keep the newest `keepLast` archives (0 = rule off).
    ///   - keepDaily: keep the newest archive of each of the `keepDaily` most recent days with one.
    ///   - keepWeekly: the same per ISO week (weeks start on Monday).
    ///   - keepMonthly: the same per calendar month.
    /// - Throws: `OpsError(.usage)` when a count is negative.
    package init(keepLast: Int = 0, keepDaily: Int = 0, keepWeekly: Int = 0, keepMonthly: Int = 0) throws {
        for (name, value) in [("--keep-last", keepLast), ("--keep-daily", keepDaily), ("--keep-weekly", keepWeekly), ("--keep-monthly", keepMonthly)] where value < 0 {
            throw OpsError(.usage, "\(name) \(value) is not valid: expected a whole number, 0 or more")
        }
        self.keepLast = keepLast
        self.keepDaily = keepDaily
        self.keepWeekly = keepWeekly
        self.keepMonthly = keepMonthly
    }

    /// For callers that validated the counts themselves.
    package init(unchecked keepLast: Int, _ keepDaily: Int, _ keepWeekly: Int, _ keepMonthly: Int) {
        self.keepLast = max(0, keepLast)
        self.keepDaily = max(0, keepDaily)
        self.keepWeekly = max(0, keepWeekly)
        self.keepMonthly = max(0, keepMonthly)
    }

    /// True when no rule is set: nothing is pruned.
    package var isEmpty: Bool { keepLast == 0 && keepDaily == 0 && keepWeekly == 0 && keepMonthly == 0 }

    package var description: String {
        if isEmpty { return "keep all" }
        return [("last", keepLast), ("daily", keepDaily), ("weekly", keepWeekly), ("monthly", keepMonthly)]
            .filter { $0.1 > 0 }.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
    }

    /// Splits `items` into those the policy keeps and those it would delete.
    ///
    /// - Parameters:
    ///   - items: the archives, in any order.
    ///   - date: when each archive was made (its id's timestamp, not the file's mtime, which copies change).
    /// - Returns: `keep` and `delete`, each newest first; ties in `date` keep their input order.
    package func partition<Item>(_ items: [Item], date: (Item) -> Date) -> (keep: [Item], delete: [Item]) {
        let decided = decide(items, date: date)
        return (decided.filter { !$0.reasons.isEmpty }.map(\.item), decided.filter { $0.reasons.isEmpty }.map(\.item))
    }

    /// Every archive, newest first, with the rules that keep it (`last 2`, `daily 2026-11-26`,
    /// `weekly 2026-W48`, `monthly 2026-11`, `newest`); no reason means the policy deletes it.
    ///
    /// - Parameters:
    ///   - items: the archives, in any order.
    ///   - date: when each archive was made.
    package func decide<Item>(_ items: [Item], date: (Item) -> Date) -> [(item: Item, reasons: [String])] {
        let sorted = items.enumerated().sorted { a, b in
            let (da, db) = (date(a.element), date(b.element))
            return da != db ? da > db : a.offset < b.offset
        }.map(\.element)
        guard !isEmpty else { return sorted.map { ($0, ["keep all"]) } }

        var reasons = Array(repeating: [String](), count: sorted.count)
        for index in sorted.indices.prefix(keepLast) { reasons[index].append("last \(index + 1)") }
        for (limit, label, bucket) in [(keepDaily, "daily", Self.day), (keepWeekly, "weekly", Self.week), (keepMonthly, "monthly", Self.month)] where limit > 0 {
            // The first (newest) archive of each distinct period, for the `limit` most recent periods.
            var seen: Set<String> = []
            for (index, item) in sorted.enumerated() where seen.count < limit {
                let key = bucket(date(item))
                if seen.insert(key).inserted { reasons[index].append("\(label) \(key)") }
            }
        }
        if let first = reasons.indices.first, reasons[first].isEmpty { reasons[first].append("newest") }
        return Array(zip(sorted, reasons))
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

    /// `2026-11-26` (UTC).
    package static func day(_ date: Date) -> String {
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return "\(pad(c.year!, 4))-\(pad(c.month!))-\(pad(c.day!))"
    }

    /// `2026-W48` (ISO week, UTC).
    package static func week(_ date: Date) -> String {
        let c = calendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: date)
        return "\(pad(c.yearForWeekOfYear!, 4))-W\(pad(c.weekOfYear!))"
    }

    /// `2026-11` (UTC).
    package static func month(_ date: Date) -> String {
        let c = calendar.dateComponents([.year, .month], from: date)
        return "\(pad(c.year!, 4))-\(pad(c.month!))"
    }
}
