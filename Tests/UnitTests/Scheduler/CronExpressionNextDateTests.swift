import Foundation
import Testing

@testable import Scheduler

@Suite("CronExpression.next(after:in:)")
struct CronExpressionNextDateTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var expression: String
        var zone: String
        var from: String
        var expected: [String]
        var testDescription: String { "'\(expression)' in \(zone) after \(from)" }

        init(_ expression: String, _ zone: String = "UTC", from: String, _ expected: [String]) {
            self.expression = expression
            self.zone = zone
            self.from = from
            self.expected = expected
        }
    }

    static let fields: [Case] = [
        Case("* * * * *", from: "2026-01-01T00:00:30Z",
             ["2026-01-01T00:01:00+00:00", "2026-01-01T00:02:00+00:00", "2026-01-01T00:03:00+00:00"]),
        Case("5-59/15 * * * *", from: "2026-01-01T10:00:00Z",
             ["2026-01-01T10:05:00+00:00", "2026-01-01T10:20:00+00:00", "2026-01-01T10:35:00+00:00",
              "2026-01-01T10:50:00+00:00", "2026-01-01T11:05:00+00:00"]),
        Case("*/7 * * * *", from: "2026-01-01T10:00:00Z",
             ["2026-01-01T10:07:00+00:00", "2026-01-01T10:14:00+00:00", "2026-01-01T10:21:00+00:00",
              "2026-01-01T10:28:00+00:00", "2026-01-01T10:35:00+00:00", "2026-01-01T10:42:00+00:00",
              "2026-01-01T10:49:00+00:00", "2026-01-01T10:56:00+00:00", "2026-01-01T11:00:00+00:00"]),
        Case("0 9 * jan,jul mon-fri", from: "2026-01-29T12:00:00Z",
             ["2026-01-30T09:00:00+00:00", "2026-07-01T09:00:00+00:00", "2026-07-02T09:00:00+00:00"]),
        Case("0 12 * * 7", from: "2026-01-01T00:00:00Z",
             ["2026-01-04T12:00:00+00:00", "2026-01-11T12:00:00+00:00"]),
        // Both day fields restricted: the 13th OR a Friday.
        Case("0 0 13 * fri", from: "2026-04-01T00:00:00Z",
             ["2026-04-03T00:00:00+00:00", "2026-04-10T00:00:00+00:00", "2026-04-13T00:00:00+00:00",
              "2026-04-17T00:00:00+00:00", "2026-04-24T00:00:00+00:00", "2026-05-01T00:00:00+00:00"]),
        // `*/2` starts with `*`: day of week counts as unrestricted, so the 1st AND Sun/Tue/Thu/Sat.
        Case("0 0 1 * */2", from: "2026-03-15T00:00:00Z",
             ["2026-08-01T00:00:00+00:00", "2026-09-01T00:00:00+00:00", "2026-10-01T00:00:00+00:00"]),
        // The same days written as a list: restricted, so the 1st OR Sun/Tue/Thu/Sat.
        Case("0 0 1 * 0,2,4,6", from: "2026-03-29T12:00:00Z",
             ["2026-03-31T00:00:00+00:00", "2026-04-01T00:00:00+00:00", "2026-04-02T00:00:00+00:00"]),
        Case("0 0 29 2 *", from: "2026-01-01T00:00:00Z",
             ["2028-02-29T00:00:00+00:00", "2032-02-29T00:00:00+00:00"]),
        Case("0 0 29 2 *", from: "2096-03-01T00:00:00Z", ["2104-02-29T00:00:00+00:00"]),
        Case("0 0 31 * *", from: "2026-01-31T12:00:00Z",
             ["2026-03-31T00:00:00+00:00", "2026-05-31T00:00:00+00:00", "2026-07-31T00:00:00+00:00"]),
        Case("@hourly", from: "2026-01-01T10:30:00Z",
             ["2026-01-01T11:00:00+00:00", "2026-01-01T12:00:00+00:00"]),
        Case("@daily", from: "2026-01-01T00:00:00Z",
             ["2026-01-02T00:00:00+00:00", "2026-01-03T00:00:00+00:00"]),
        Case("@weekly", from: "2026-01-01T00:00:00Z",
             ["2026-01-04T00:00:00+00:00", "2026-01-11T00:00:00+00:00"]),
        Case("@monthly", from: "2026-01-15T00:00:00Z",
             ["2026-02-01T00:00:00+00:00", "2026-03-01T00:00:00+00:00"]),
        Case("@yearly", from: "2026-06-01T00:00:00Z",
             ["2027-01-01T00:00:00+00:00", "2028-01-01T00:00:00+00:00"]),
        Case("0 0 31 2 *", from: "2026-01-01T00:00:00Z", []),
        Case("0 0 30 2 *", from: "2026-01-01T00:00:00Z", []),
        Case("0 0 31 4,6,9,11 *", from: "2026-01-01T00:00:00Z", []),
        // A fire time equal to `from` is not "after" it.
        Case("30 2 * * *", from: "2026-03-28T02:30:00Z",
             ["2026-03-29T02:30:00+00:00", "2026-03-30T02:30:00+00:00"]),
        Case("30 2 * * *", from: "2026-03-28T02:29:59.500Z",
             ["2026-03-28T02:30:00+00:00"]),
        Case("0 9 * * mon-fri", "Asia/Tokyo", from: "2026-01-02T09:00:00+09:00",
             ["2026-01-05T09:00:00+09:00", "2026-01-06T09:00:00+09:00"]),
    ]

    static let daylightSaving: [Case] = [
        // Europe/Berlin, spring forward 2026-03-29 02:00 CET -> 03:00 CEST.
        Case("30 2 * * *", "Europe/Berlin", from: "2026-03-28T12:00:00+01:00",
             ["2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"]),
        Case("30 2 * * *", "Europe/Berlin", from: "2026-03-29T03:00:00+02:00",
             ["2026-03-30T02:30:00+02:00"]),
        Case("*/15 2 * * *", "Europe/Berlin", from: "2026-03-28T23:00:00+01:00",
             ["2026-03-29T03:00:00+02:00", "2026-03-30T02:00:00+02:00", "2026-03-30T02:15:00+02:00"]),
        Case("*/30 * * * *", "Europe/Berlin", from: "2026-03-29T01:00:00+01:00",
             ["2026-03-29T01:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T03:30:00+02:00"]),
        // The policy holds for `*`-hour expressions too: the missing 02:30 runs at the jump.
        Case("30 * * * *", "Europe/Berlin", from: "2026-03-29T01:00:00+01:00",
             ["2026-03-29T01:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T03:30:00+02:00"]),
        Case("0 3 * * *", "Europe/Berlin", from: "2026-03-28T12:00:00+01:00",
             ["2026-03-29T03:00:00+02:00", "2026-03-30T03:00:00+02:00"]),
        // Europe/Berlin, fall back 2026-10-25 03:00 CEST -> 02:00 CET: 02:00-02:59 happens twice.
        Case("30 2 * * *", "Europe/Berlin", from: "2026-10-24T12:00:00+02:00",
             ["2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"]),
        Case("30 2 * * *", "Europe/Berlin", from: "2026-10-25T02:45:00+02:00",
             ["2026-10-26T02:30:00+01:00"]),
        Case("30 2 * * *", "Europe/Berlin", from: "2026-10-25T02:10:00+01:00",
             ["2026-10-26T02:30:00+01:00"]),
        Case("*/30 * * * *", "Europe/Berlin", from: "2026-10-25T01:45:00+02:00",
             ["2026-10-25T02:00:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-25T02:00:00+01:00",
              "2026-10-25T02:30:00+01:00", "2026-10-25T03:00:00+01:00"]),
        Case("*/30 * * * *", "Europe/Berlin", from: "2026-10-25T02:45:00+02:00",
             ["2026-10-25T02:00:00+01:00", "2026-10-25T02:30:00+01:00"]),
        Case("*/15 2 * * *", "Europe/Berlin", from: "2026-10-25T01:50:00+02:00",
             ["2026-10-25T02:00:00+02:00", "2026-10-25T02:15:00+02:00", "2026-10-25T02:30:00+02:00",
              "2026-10-25T02:45:00+02:00", "2026-10-25T02:00:00+01:00", "2026-10-25T02:15:00+01:00",
              "2026-10-25T02:30:00+01:00", "2026-10-25T02:45:00+01:00", "2026-10-26T02:00:00+01:00"]),
        Case("@hourly", "Europe/Berlin", from: "2026-10-25T01:30:00+02:00",
             ["2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00", "2026-10-25T03:00:00+01:00"]),
        // America/New_York, spring forward 2026-03-08 02:00 EST -> 03:00 EDT.
        Case("30 2 * * *", "America/New_York", from: "2026-03-07T12:00:00-05:00",
             ["2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"]),
        Case("*/30 * * * *", "America/New_York", from: "2026-03-08T01:00:00-05:00",
             ["2026-03-08T01:30:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T03:30:00-04:00"]),
        // America/New_York, fall back 2026-11-01 02:00 EDT -> 01:00 EST: 01:00-01:59 happens twice.
        Case("30 1 * * *", "America/New_York", from: "2026-10-31T12:00:00-04:00",
             ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"]),
        Case("30 2 * * *", "America/New_York", from: "2026-10-31T12:00:00-04:00",
             ["2026-11-01T02:30:00-05:00", "2026-11-02T02:30:00-05:00"]),
        Case("*/30 * * * *", "America/New_York", from: "2026-11-01T00:45:00-04:00",
             ["2026-11-01T01:00:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-01T01:00:00-05:00",
              "2026-11-01T01:30:00-05:00", "2026-11-01T02:00:00-05:00"]),
        // UTC has no transitions: the Berlin dates are ordinary days.
        Case("30 2 * * *", from: "2026-03-28T12:00:00Z",
             ["2026-03-29T02:30:00+00:00", "2026-03-30T02:30:00+00:00"]),
        Case("*/30 * * * *", from: "2026-10-25T01:45:00Z",
             ["2026-10-25T02:00:00+00:00", "2026-10-25T02:30:00+00:00", "2026-10-25T03:00:00+00:00"]),
    ]

    @Test("fields, names, steps, macros and day rules give the expected fire times", arguments: fields)
    func fireTimesFollowTheFields(_ c: Case) throws {
        try check(c)
    }

    @Test("skipped wall times fire once at the jump; repeated ones once unless the minute or hour is '*'",
          arguments: daylightSaving)
    func fireTimesFollowTheDaylightSavingPolicy(_ c: Case) throws {
        try check(c)
    }

    private func check(_ c: Case) throws {
        let expression = try CronExpression(c.expression)
        let tz = CronTime.zone(c.zone)
        let dates = expression.nextDates(after: try CronTime.instant(c.from), count: max(c.expected.count, 1), in: tz)
        #expect(dates.map { CronTime.iso($0, in: tz) } == c.expected)
    }

    @Test func impossibleExpressionReturnsNilWithoutSearching() throws {
        let expression = try CronExpression("0 0 30 2 *")
        #expect(!expression.isSatisfiable)
        #expect(expression.next(after: try CronTime.instant("2026-01-01T00:00:00Z"), in: CronTime.zone("Europe/Berlin")) == nil)
    }

    @Test func onlyMinuteOrHourStarFiresInElapsedTime() throws {
        #expect(try CronExpression("*/15 * * * *").firesInElapsedTime)
        #expect(try CronExpression("0 * * * *").firesInElapsedTime)
        #expect(try CronExpression("*/15 2 * * *").firesInElapsedTime)
        #expect(try CronExpression("@hourly").firesInElapsedTime)
        #expect(try !CronExpression("30 2 * * *").firesInElapsedTime)
        #expect(try !CronExpression("0-59 0-23 * * *").firesInElapsedTime)
        #expect(try !CronExpression("@daily").firesInElapsedTime)
    }

    @Test func fiftyYearlyFireTimesAreFoundFiftyYearsAhead() throws {
        // Speed is a benchmark concern, not a timed test; this pins the far-future result.
        let expression = try CronExpression("0 0 1 1 *")
        let dates = expression.nextDates(after: try CronTime.instant("2026-06-01T00:00:00Z"), count: 50, in: CronTime.zone("Europe/Berlin"))
        #expect(dates.count == 50)
        #expect(CronTime.iso(dates[49], in: CronTime.zone("Europe/Berlin")) == "2076-01-01T00:00:00+01:00")
    }

    @Test func everyMinuteAcrossADaylightSavingDayIsContinuous() throws {
        // 24 hours of wall clock on the spring-forward day hold 23 hours of instants; every minute fires
        // once, in order, and the gap collapses to the jump instant.
        let tz = CronTime.zone("Europe/Berlin")
        let start = try CronTime.instant("2026-03-29T00:00:00+01:00")
        let dates = try CronExpression("* * * * *").nextDates(after: start, count: 23 * 60, in: tz)
        #expect(dates.count == 23 * 60)
        #expect(zip(dates, dates.dropFirst()).allSatisfy { $1.timeIntervalSince($0) == 60 })
        #expect(CronTime.iso(dates.last!, in: tz) == "2026-03-30T00:00:00+02:00")
    }
}
