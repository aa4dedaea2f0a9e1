import Foundation
import Testing

@testable import Scheduler

@Suite("CronExpression parsing")
struct CronExpressionParsingTests {
    @Test("invalid expressions name the field and the reason", arguments: [
        ("60 * * * *", "field 1 (minute): 60 is out of range 0-59"),
        ("* 24 * * *", "field 2 (hour): 24 is out of range 0-23"),
        ("* * 0 * *", "field 3 (day-of-month): 0 is out of range 1-31"),
        ("* * 32 * *", "field 3 (day-of-month): 32 is out of range 1-31"),
        ("* * * 13 *", "field 4 (month): 13 is out of range 1-12"),
        ("* * * 0 *", "field 4 (month): 0 is out of range 1-12"),
        ("* * * * 8", "field 5 (day-of-week): 8 is out of range 0-7"),
        ("0-60 * * * *", "field 1 (minute): 60 is out of range 0-59"),
        ("99999999 * * * *", "field 1 (minute): 99999999 is out of range 0-59"),
        ("*/0 * * * *", "field 1 (minute): step 0 in '*/0' must be at least 1"),
        ("*/x * * * *", "field 1 (minute): step 'x' in '*/x' is not a number"),
        ("5-1 * * * *", "field 1 (minute): range 5-1 is backwards (5 > 1)"),
        ("* * * dec-jan *", "field 4 (month): range dec-jan is backwards (12 > 1)"),
        ("* * * foo *", "field 4 (month): unknown name 'foo' (use jan-dec or 1-12)"),
        ("* * * * monday", "field 5 (day-of-week): unknown name 'monday' (use sun-sat or 0-7)"),
        ("* jan * * *", "field 2 (hour): 'jan' is not a number"),
        ("10/15 * * * *", "field 1 (minute): a step needs a range or '*': write '10-59/15' or '*/15', not '10/15'"),
        ("1,,2 * * * *", "field 1 (minute): empty element in list '1,,2'"),
        ("1, * * * *", "field 1 (minute): empty element in list '1,'"),
        ("1-2-3 * * * *", "field 1 (minute): '1-2-3' is not a value or a range"),
        ("*/5/2 * * * *", "field 1 (minute): '*/5/2' has more than one '/'"),
        ("1- * * * *", "field 1 (minute): missing value in range"),
        ("-1 * * * *", "field 1 (minute): missing value in range"),
        ("~ * * * *", "field 1 (minute): random ranges with '~' are not supported: '~'"),
        ("* * * *", "expected 5 fields (minute hour day-of-month month day-of-week), found 4"),
        ("* * * * * *", "expected 5 fields (minute hour day-of-month month day-of-week), found 6"),
        ("", "empty expression: expected 5 fields (minute hour day-of-month month day-of-week)"),
        ("@reboot", "@reboot is not supported: this scheduler fires at times of day, not at start-up"),
        ("@Daily", "unknown macro '@Daily' (known: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)"),
        ("@daily 5", "@daily stands alone, found 1 more field(s)"),
    ])
    func invalidExpressionsAreRejected(_ text: String, _ message: String) {
        #expect {
            try CronExpression(text)
        } throws: { error in
            (error as? CronError)?.description == message
        }
    }

    @Test func errorsCarryTheirFieldAndCode() throws {
        let error = try #require(throws: CronError.self) { try CronExpression("* 24 * * *") }
        #expect(error.field == .hour)
        #expect(error.code == .invalidField)
        #expect(error.reason == "24 is out of range 0-23")
        let reboot = try #require(throws: CronError.self) { try CronExpression("@reboot") }
        #expect(reboot.code == .unsupported)
        let count = try #require(throws: CronError.self) { try CronExpression("* * *") }
        #expect(count.code == .wrongFieldCount)
    }

    @Test("equivalent spellings parse to the same schedule", arguments: [
        ("0 0 * * 7", "0 0 * * 0"),
        ("0 0 * * sun", "0 0 * * 7"),
        ("0 0 * * fri-sun", "0 0 * * 5-7"),
        ("0 0 * * 5-0", "0 0 * * 0,5,6"),
        ("0 0 * jan-mar *", "0 0 * 1-3 *"),
        ("0 0 * * MON-Fri", "0 0 * * 1-5"),
        ("0 9 * JAN,Jul *", "0 9 * 1,7 *"),
        ("*/15 * * * *", "0,15,30,45 * * * *"),
        ("5-59/15 * * * *", "5,20,35,50 * * * *"),
        ("1-10/3 * * * *", "1,4,7,10 * * * *"),
        ("*/7 * * * *", "0,7,14,21,28,35,42,49,56 * * * *"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "@daily"),
        ("@annually", "@yearly"),
        ("@yearly", "0 0 1 1 *"),
        ("@monthly", "0 0 1 * *"),
        ("@weekly", "0 0 * * 0"),
        ("@hourly", "0 * * * *"),
        ("  0\t0  *  * *  ", "0 0 * * *"),
    ])
    func equivalentSpellingsAreEqual(_ a: String, _ b: String) throws {
        #expect(try CronExpression(a) == CronExpression(b))
    }

    @Test func aStepLargerThanTheRangeKeepsOnlyItsStart() throws {
        // cronie only warns; the range start still fires.
        #expect(try CronExpression("5-10/60 * * * *") == CronExpression("5 * * * *"))
    }

    @Test func sourceIsTheNormalisedText() throws {
        #expect(try CronExpression("  */5\t* * *   mon ").description == "*/5 * * * mon")
        #expect(try CronExpression("@weekly").description == "@weekly")
    }

    @Test func dayOfWeekStepStartingWithStarCountsAsUnrestricted() throws {
        let expression = try CronExpression("0 0 1 * */2")
        // The 1st on a Wednesday: day of month matches, day of week does not, and cronie requires both.
        #expect(!expression.dayMatches(dayOfMonth: 1, dayOfWeek: 3))
        #expect(expression.dayMatches(dayOfMonth: 1, dayOfWeek: 4))
        #expect(!expression.dayMatches(dayOfMonth: 2, dayOfWeek: 4))
        let list = try CronExpression("0 0 1 * 0,2,4,6")
        #expect(list.dayMatches(dayOfMonth: 1, dayOfWeek: 3))
        #expect(list.dayMatches(dayOfMonth: 2, dayOfWeek: 4))
    }
}
