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
public struct GFSPolicy: Sendable, Hashable, CustomStringConvertible {
    public var keepLast: Int
    public var keepDaily: Int
    public var keepWeekly: Int
    public var keepMonthly: Int

    /// - Parameters:
    ///   - keepLast: keep the newest `keepLast` archives (0 = rule off).
    ///   - keepDaily: keep the newest archive of each of the `keepDaily` most recent days with one.
    ///   - keepWeekly: the same per ISO week (weeks start on Monday).
    ///   - keepMonthly: the same per calendar month.
    /// - Throws: `OpsError(.usage)` when a count is negative.
    public init(keepLast: Int = 0, keepDaily: Int = 0, keepWeekly: Int = 0, keepMonthly: Int = 0) throws {
        for (name, value) in [("--keep-last", keepLast), ("--keep-daily", keepDaily), ("--keep-weekly", keepWeekly), ("--keep-monthly", keepMonthly)] where value < 0 {
            throw OpsError(.usage, "\(name) \(value) is not valid: expected a whole number, 0 or more")
        }
        self.keepLast = keepLast
        self.keepDaily = keepDaily
        self.keepWeekly = keepWeekly
        self.keepMonthly = keepMonthly
    }

    /// True when no rule is set: nothing is pruned.
    public var isEmpty: Bool { keepLast == 0 && keepDaily == 0 && keepWeekly == 0 && keepMonthly == 0 }

    public var description: String {
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
    public func partition<Item>(_ items: [Item], date: (Item) -> Date) -> (keep: [Item], delete: [Item]) {
        let sorted = items.enumerated().sorted { a, b in
            let (da, db) = (date(a.element), date(b.element))
            return da != db ? da > db : a.offset < b.offset
        }.map(\.element)
        guard !isEmpty else { return (sorted, []) }

        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        calendar.firstWeekday = 2  // ISO weeks start on Monday
        calendar.minimumDaysInFirstWeek = 4

        var kept = Set<Int>()
        if let newest = sorted.indices.first { kept.insert(newest) }
        for index in sorted.indices.prefix(keepLast) { kept.insert(index) }

        /// Keeps the first (newest) archive of each distinct period, for the `limit` most recent periods.
        func keepNewestPerPeriod(_ limit: Int, period: (Date) -> [Int]) {
            guard limit > 0 else { return }
            var seen: [[Int]] = []
            for (index, item) in sorted.enumerated() {
                let key = period(date(item))
                if seen.last == key { continue }
                seen.append(key)
                if seen.count > limit { break }
                kept.insert(index)
            }
        }
        keepNewestPerPeriod(keepDaily) { d in
            let c = calendar.dateComponents([.year, .month, .day], from: d)
            return [c.year!, c.month!, c.day!]
        }
        keepNewestPerPeriod(keepWeekly) { d in
            let c = calendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: d)
            return [c.yearForWeekOfYear!, c.weekOfYear!]
        }
        keepNewestPerPeriod(keepMonthly) { d in
            let c = calendar.dateComponents([.year, .month], from: d)
            return [c.year!, c.month!]
        }

        var keep: [Item] = []
        var delete: [Item] = []
        for (index, item) in sorted.enumerated() {
            if kept.contains(index) { keep.append(item) } else { delete.append(item) }
        }
        return (keep, delete)
    }
}
