import Foundation

/// Instants and wall times for the cron tests, namespaced so the shared test target has no clashes.
enum CronTime {
    /// `2026-03-29T03:00:00+02:00` → the instant.
    static func instant(_ iso: String) throws -> Date {
        try Date(iso, strategy: .iso8601)
    }

    /// The instant as local wall time with its offset in `zone`: `2026-03-29T03:00:00+02:00`.
    /// The offset is part of the text so a test pins *which* occurrence of a repeated hour fired.
    static func iso(_ date: Date, in zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let offset = zone.secondsFromGMT(for: date)
        let sign = offset < 0 ? "-" : "+"
        let hours = abs(offset) / 3600, minutes = abs(offset) % 3600 / 60
        func two(_ n: Int?) -> String { n.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "??" }
        return "\(c.year!)-\(two(c.month))-\(two(c.day))T\(two(c.hour)):\(two(c.minute)):\(two(c.second))"
            + "\(sign)\(two(hours)):\(two(minutes))"
    }

    static func zone(_ identifier: String) -> TimeZone {
        TimeZone(identifier: identifier)!
    }
}
