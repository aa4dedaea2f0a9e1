import Foundation

/// An ISO 8601 timestamp as the service writes it: `2025-03-01T12:00:00Z`, `…T12:00:00.123Z`,
/// `…T12:00:00+02:00` (or `+0200`), fractions up to nanoseconds. Kept as whole seconds + microseconds
/// (PostgreSQL's precision) so the value sent to `timestamptz` is exact and a re-import compares equal.
package struct LegacyTimestamp: Sendable, Hashable, Comparable {
    package var epochSeconds: Int64
    package var microseconds: Int

    package init(epochSeconds: Int64, microseconds: Int = 0) {
        self.epochSeconds = epochSeconds
        self.microseconds = microseconds
    }

    package init(_ date: Date) {
        let micros = (date.timeIntervalSince1970 * 1_000_000).rounded(.down)
        epochSeconds = Int64((micros / 1_000_000).rounded(.down))
        microseconds = Int(micros - Double(epochSeconds) * 1_000_000)
    }

    package static func < (a: Self, b: Self) -> Bool {
        (a.epochSeconds, a.microseconds) < (b.epochSeconds, b.microseconds)
    }

    package func adding(days: Int) -> LegacyTimestamp {
        LegacyTimestamp(epochSeconds: epochSeconds + Int64(days) * 86_400, microseconds: microseconds)
    }

    /// Parses the formats above; nil for anything else (dates without a time or a zone are refused:
    /// their instant would depend on the importing machine's zone).
    package static func parse(_ text: String) -> LegacyTimestamp? {
        let b = Array(text.utf8)
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= b.count else { return nil }
            var value = 0
            for k in 0..<n {
                let c = b[i + k]
                guard c >= 48, c <= 57 else { return nil }
                value = value * 10 + Int(c - 48)
            }
            i += n
            return value
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), expect(45), let month = digits(2), expect(45), let day = digits(2) else { return nil }
        guard i < b.count, b[i] == 84 || b[i] == 116 || b[i] == 32 else { return nil }  // T, t or space
        i += 1
        guard let hour = digits(2), expect(58), let minute = digits(2), expect(58), let second = digits(2) else { return nil }
        var micros = 0
        if i < b.count, b[i] == 46 || b[i] == 44 {  // . or ,
            i += 1
            var count = 0
            var fraction = 0
            var roundUp = false
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if count < 6 { fraction = fraction * 10 + Int(b[i] - 48) } else if count == 6 { roundUp = b[i] >= 53 }
                count += 1
                i += 1
            }
            guard count > 0 else { return nil }
            for _ in count..<max(count, 6) { fraction *= 10 }
            micros = fraction + (roundUp ? 1 : 0)
        }
        var offsetSeconds = 0
        guard i < b.count else { return nil }
        if b[i] == 90 || b[i] == 122 {  // Z, z
            i += 1
        } else if b[i] == 43 || b[i] == 45 {  // + or -
            let sign = b[i] == 45 ? -1 : 1
            i += 1
            guard let oh = digits(2) else { return nil }
            _ = expect(58)
            guard let om = digits(2), oh <= 23, om <= 59 else { return nil }
            offsetSeconds = sign * (oh * 3600 + om * 60)
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        guard (1...12).contains(month), (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second) else { return nil }
        let daysInMonth = [31, (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...daysInMonth[month - 1]).contains(day) else { return nil }
        // Days from the civil date (Howard Hinnant's algorithm): no Calendar, no time zone database.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = Int64(era * 146_097 + doe - 719_468)
        var seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetSeconds)
        if micros >= 1_000_000 { seconds += 1; micros -= 1_000_000 }
        return LegacyTimestamp(epochSeconds: seconds, microseconds: micros)
    }

    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, what PostgreSQL's `timestamptz` input reads back exactly.
    package var postgresText: String {
        let days = epochSeconds >= 0 ? epochSeconds / 86_400 : (epochSeconds - 86_399) / 86_400
        let secondsOfDay = Int(epochSeconds - days * 86_400)
        let z = Int(days) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondsOfDay / 3600, 2)):\(pad(secondsOfDay / 60 % 60, 2)):\(pad(secondsOfDay % 60, 2)).\(pad(microseconds, 6))Z"
    }
}
