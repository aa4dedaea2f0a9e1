import Foundation
import OpsCore

/// Reading and writing times and durations on the command line.
package enum TimeText {
    /// `2026-03-29T03:00:00+02:00`: ISO 8601 with the zone's offset at that instant (`+00:00`, never `Z`,
    /// so every line has the same shape).
    package static func iso8601(_ date: Date, in timeZone: TimeZone) -> String {
        let offset = timeZone.secondsFromGMT(for: date)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: offset) ?? timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let sign = offset < 0 ? "-" : "+"
        let magnitude = abs(offset)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d%@%02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!,
                      sign, magnitude / 3600, magnitude % 3600 / 60)
    }

    /// Parses `2026-03-29T01:30:00+01:00`, `…Z`, or a local time without offset (`2026-03-29T01:30`,
    /// seconds optional) read in `timeZone`.
    /// - Throws: `OpsError` `.usage` naming the value.
    package static func parseISO8601(_ text: String, defaultTimeZone timeZone: TimeZone) throws -> Date {
        let withOffset = ISO8601DateFormatter()
        withOffset.formatOptions = [.withInternetDateTime]
        // Seconds are optional in the input (`2026-03-29T01:30Z`); the formatter wants them.
        let withSeconds = text.replacingOccurrences(of: #"(T\d\d:\d\d)(Z|[+-]\d\d:?\d\d)$"#, with: "$1:00$2", options: .regularExpression)
        for candidate in [text, withSeconds] {
            withOffset.formatOptions = [.withInternetDateTime]
            if let date = withOffset.date(from: candidate) { return date }
            withOffset.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            if let date = withOffset.date(from: candidate) { return date }
        }
        let local = DateFormatter()
        local.locale = Locale(identifier: "en_US_POSIX")
        local.timeZone = timeZone
        for format in ["yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd"] {
            local.dateFormat = format
            if let date = local.date(from: text) { return date }
        }
        throw OpsError(.usage, "'\(text)' is not an ISO 8601 time (e.g. 2026-03-29T01:30:00+01:00, or 2026-03-29T01:30 in --tz)")
    }
}
