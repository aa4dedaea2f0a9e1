import Foundation
import Testing

@testable import Scheduler

/// Random expressions, checked against a slow reference: the generator knows which values each field
/// means, and the reference walks days with Foundation's `Calendar` in UTC.
@Suite("CronExpression against a reference")
struct CronExpressionReferenceTests {
    /// SplitMix64: deterministic, so a failure reproduces.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ range: ClosedRange<Int>) -> Int {
            range.lowerBound + Int(next() % UInt64(range.count))
        }
    }

    /// One field's text and the values it stands for.
    static func field(_ range: ClosedRange<Int>, _ g: inout Generator, names: [String]? = nil) -> (String, Set<Int>) {
        func value(_ v: Int) -> String {
            guard let names, g.int(0...1) == 0, v - range.lowerBound < names.count else { return "\(v)" }
            return names[v - range.lowerBound]
        }
        func element() -> (String, Set<Int>) {
            switch g.int(0...4) {
            case 0:
                return ("*", Set(range))
            case 1:
                let step = g.int(1...max(1, range.count / 2))
                return ("*/\(step)", Set(stride(from: range.lowerBound, through: range.upperBound, by: step)))
            case 2:
                let v = g.int(range)
                return (value(v), [v])
            default:
                let a = g.int(range), b = g.int(a...range.upperBound), step = g.int(1...4)
                let text = "\(value(a))-\(value(b))" + (step == 1 ? "" : "/\(step)")
                return (text, Set(stride(from: a, through: b, by: step)))
            }
        }
        var (text, values) = element()
        for _ in 0..<g.int(0...2) where text != "*" {
            let (t, v) = element()
            if t == "*" { continue }
            text += "," + t
            values.formUnion(v)
        }
        return (text, values)
    }

    @Test func randomExpressionsAgreeWithTheReferenceInUTC() throws {
        var g = Generator(state: 20_260_329)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        let days = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

        for _ in 0..<300 {
            let (minuteText, minutes) = Self.field(0...59, &g)
            let (hourText, hours) = Self.field(0...23, &g)
            let (domText, doms) = Self.field(1...31, &g)
            let (monthText, monthSet) = Self.field(1...12, &g, names: months)
            var (dowText, dows) = Self.field(0...7, &g, names: days)
            if dows.contains(7) { dows.insert(0) }
            let text = [minuteText, hourText, domText, monthText, dowText].joined(separator: " ")
            let expression = try CronExpression(text)
            let bothRestricted = !domText.hasPrefix("*") && !dowText.hasPrefix("*")

            let after = Date(timeIntervalSince1970: TimeInterval(1_767_225_600 + g.int(0...4 * 365 * 86_400)))
            let startOfDay = calendar.startOfDay(for: after)
            var expected: Date?
            search: for dayOffset in 0..<800 {
                let day = calendar.date(byAdding: .day, value: dayOffset, to: startOfDay)!
                let c = calendar.dateComponents([.month, .day, .weekday], from: day)
                guard monthSet.contains(c.month!) else { continue }
                let domMatch = doms.contains(c.day!), dowMatch = dows.contains(c.weekday! - 1)
                guard bothRestricted ? (domMatch || dowMatch) : (domMatch && dowMatch) else { continue }
                for hour in hours.sorted() {
                    for minute in minutes.sorted() {
                        let candidate = day.addingTimeInterval(TimeInterval(hour * 3600 + minute * 60))
                        if candidate > after { expected = candidate; break search }
                    }
                }
            }
            let actual = expression.next(after: after, in: calendar.timeZone)
            if let expected {
                #expect(actual == expected, "'\(text)' after \(after)")
            } else if let actual {
                #expect(actual.timeIntervalSince(after) > 798 * 86_400, "'\(text)' after \(after)")
            }
        }
    }

    @Test func fireTimesInBerlinIncreaseAndMatchTheirFields() throws {
        // Over two years of DST transitions every fire time is later than the one before, and its wall
        // time is one the fields name, or it is a spring-forward jump (the collapsed gap slots).
        var g = Generator(state: 7)
        let tz = TimeZone(identifier: "Europe/Berlin")!
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = tz
        for _ in 0..<25 {
            let (minuteText, minutes) = Self.field(0...59, &g)
            let (hourText, hours) = Self.field(0...23, &g)
            let text = "\(minuteText) \(hourText) * * *"
            let dates = try CronExpression(text).nextDates(
                after: try CronTime.instant("2026-01-01T00:00:00Z"), count: 1500, in: tz)
            #expect(zip(dates, dates.dropFirst()).allSatisfy { $0 < $1 }, "'\(text)'")
            for date in dates {
                let c = calendar.dateComponents([.hour, .minute], from: date)
                let isJump = tz.secondsFromGMT(for: date) > tz.secondsFromGMT(for: date.addingTimeInterval(-1))
                #expect(isJump || (hours.contains(c.hour!) && minutes.contains(c.minute!)),
                        "'\(text)' at \(CronTime.iso(date, in: tz))")
            }
        }
    }
}
