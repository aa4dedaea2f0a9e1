import Foundation
import OpsCore
import Testing

@Suite("GFS retention policy")
struct GFSPolicyTests {
    /// `2026-03-<day>T<hour>:00:00Z`
    func date(_ month: Int, _ day: Int, _ hour: Int = 12) -> Date {
        var components = DateComponents()
        components.calendar = Calendar(identifier: .gregorian)
        components.timeZone = TimeZone(identifier: "UTC")
        components.year = 2026
        components.month = month
        components.day = day
        components.hour = hour
        return components.date!
    }

    @Test func anEmptyPolicyKeepsEverything() throws {
        let items = [date(3, 1), date(3, 2), date(3, 3)]
        let (keep, delete) = try GFSPolicy().partition(items) { $0 }
        #expect(keep == items.reversed())
        #expect(delete.isEmpty)
    }

    @Test func keepLastKeepsTheNewestN() throws {
        let items = (1...5).map { date(3, $0) }
        let (keep, delete) = try GFSPolicy(keepLast: 2).partition(items) { $0 }
        #expect(keep == [date(3, 5), date(3, 4)])
        #expect(delete == [date(3, 3), date(3, 2), date(3, 1)])
    }

    @Test func keepDailyKeepsTheNewestOfEachOfTheMostRecentDaysThatHaveOne() throws {
        // Two a day on Mar 1, 2, 4 (none on Mar 3).
        let items = [1, 2, 4].flatMap { [date(3, $0, 6), date(3, $0, 18)] }
        let (keep, _) = try GFSPolicy(keepDaily: 2).partition(items) { $0 }
        #expect(keep == [date(3, 4, 18), date(3, 2, 18)])
    }

    @Test func weeklyAndMonthlyUseIsoWeeksAndCalendarMonthsInUTC() throws {
        // 2026-03-01 is a Sunday (ISO week 9), 03-02 Monday (week 10); 02-27 is in February.
        let items = [date(2, 27), date(3, 1), date(3, 2), date(3, 3)]
        let weekly = try GFSPolicy(keepWeekly: 2).partition(items) { $0 }.keep
        #expect(weekly == [date(3, 3), date(3, 1)])
        let monthly = try GFSPolicy(keepMonthly: 5).partition(items) { $0 }.keep
        #expect(monthly == [date(3, 3), date(2, 27)])
    }

    @Test func rulesAreUnitedAndTheNewestIsAlwaysKept() throws {
        let items = (1...10).map { date(3, $0) }
        let (keep, delete) = try GFSPolicy(keepLast: 1, keepMonthly: 1).partition(items) { $0 }
        #expect(keep == [date(3, 10)])
        #expect(delete.count == 9)
        let union = try GFSPolicy(keepLast: 2, keepWeekly: 2).partition(items) { $0 }.keep
        // Weeks: Mar 9-10 (week 11), Mar 2-8 (week 10): newest of each is Mar 10 and Mar 8.
        #expect(union == [date(3, 10), date(3, 9), date(3, 8)])
    }

    @Test func negativeCountsAreUsageErrors() {
        #expect(throws: OpsError.self) { try GFSPolicy(keepDaily: -1) }
    }
}
