import Foundation

/// A Vixie/cronie five-field schedule: `minute hour day-of-month month day-of-week`.
///
/// ## Syntax (as cronie 1.7 parses it)
/// - Each field is a comma list of `*`, `N`, `N-M`, `*/S` or `N-M/S`. Months take `jan`–`dec`,
///   days of week `sun`–`sat` (case-insensitive, three letters, also inside ranges: `mon-fri`).
/// - Day of week is 0–7; 0 and 7 are both Sunday. `fri-sun` (a range ending in 0) means 5–7, as cronie
///   reads it. Any other backwards range such as `5-1` is an error.
/// - A step after a single number (`10/15`) is an error, as in cronie and Vixie cron, which reject the
///   line ("bad minute"); write `10-59/15`. `~` (cronie's random ranges) is not supported.
/// - `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly` expand to their
///   cronie equivalents. `@reboot` is rejected: this scheduler fires at times, not at boot.
///
/// ## Day of month and day of week
/// When both fields are restricted a day matches if *either* matches (`0 0 13 * fri` fires on every
/// 13th and on every Friday). A field whose text starts with `*` counts as unrestricted, even with a
/// step, and then both must match: `0 0 1 * */2` fires on the 1st only when it is a Sunday, Tuesday,
/// Thursday or Saturday. This is cronie's `DOM_STAR`/`DOW_STAR` rule.
///
/// ## Daylight saving time
/// Times are wall-clock times in the zone passed to ``next(after:in:)``. Around a transition:
/// - **Spring forward** (a wall time does not exist, e.g. 02:30 on 2026-03-29 in Europe/Berlin): every
///   slot inside the gap runs **once, at the jump instant** (03:00 local, the first instant after the
///   gap). All gap slots of an expression collapse into that one run (`*/15 2 * * *` fires once at
///   03:00, not four times), and it coincides with a 03:00 slot if the expression has one. This holds
///   for `*` hours too (`30 * * * *` runs at 01:30, 03:00 and 03:30): no slot is ever lost, where Vixie
///   cron drops the gap slots of `*` jobs.
/// - **Fall back** (a wall time happens twice, e.g. 02:30 on 2026-10-25 in Europe/Berlin): the
///   Vixie/ISC cron rule. An expression whose minute or hour field starts with `*` (`*/15 * * * *`,
///   `0 * * * *`, `@hourly`, `*/15 2 * * *`) fires in elapsed time, so at both occurrences of a
///   repeated slot. An expression with a fixed minute *and* hour (`30 2 * * *`, `@daily`) fires once,
///   at the first occurrence. ``firesInElapsedTime`` tells which kind an expression is.
package struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    /// The five fields, numbered as in error messages (`field 3 (day-of-month)`).
    package enum Field: Int, Sendable, CaseIterable {
        case minute = 1, hour, dayOfMonth, month, dayOfWeek

        /// The name used in error messages.
        package var name: String {
            switch self {
            case .minute: return "minute"
            case .hour: return "hour"
            case .dayOfMonth: return "day-of-month"
            case .month: return "month"
            case .dayOfWeek: return "day-of-week"
            }
        }

        /// The values the field accepts.
        package var range: ClosedRange<Int> {
            switch self {
            case .minute: return 0...59
            case .hour: return 0...23
            case .dayOfMonth: return 1...31
            case .month: return 1...12
            case .dayOfWeek: return 0...7
            }
        }
    }

    /// The text the expression was parsed from, whitespace-normalised (`@daily` stays `@daily`).
    package let source: String

    // One bit per value: bit n set means value n matches.
    let minutes: UInt64
    let hours: UInt64
    let daysOfMonth: UInt64
    let months: UInt64
    /// Bits 0 and 7 (both Sunday) are always set together.
    let daysOfWeek: UInt64

    // cronie's MIN_STAR, HR_STAR, DOM_STAR, DOW_STAR: the field's text starts with `*`.
    let minuteIsStar: Bool
    let hourIsStar: Bool
    let dayOfMonthIsStar: Bool
    let dayOfWeekIsStar: Bool

    /// Parses a five-field expression or an `@` macro.
    /// - Parameters:
    ///   - text: e.g. `*/15 * * * *`, `0 9 * jan,jul mon-fri`, `@daily`.
    /// - Throws: ``CronError`` naming the field and the reason, e.g.
    ///   `field 2 (hour): 24 is out of range 0-23`.
    package init(_ text: String) throws(CronError) {
        let tokens = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard let first = tokens.first else {
            throw CronError(.wrongFieldCount, "empty expression: expected 5 fields (\(Self.fieldNames))")
        }
        if first.hasPrefix("@") {
            guard tokens.count == 1 else {
                throw CronError(.wrongFieldCount, "\(first) stands alone, found \(tokens.count - 1) more field(s)")
            }
            try self.init(macro: String(first))
        } else {
            try self.init(fields: tokens.map(String.init))
        }
    }

    /// Parses the five fields of a crontab line that has already been split on whitespace.
    /// - Parameters:
    ///   - fields: minute, hour, day-of-month, month, day-of-week.
    /// - Throws: ``CronError`` if there are not exactly five fields or one is invalid.
    package init(fields: [String]) throws(CronError) {
        guard fields.count == 5 else {
            throw CronError(
                .wrongFieldCount,
                "expected 5 fields (\(Self.fieldNames)), found \(fields.count)")
        }
        try self.init(fields: fields, source: fields.joined(separator: " "))
    }

    /// Whether a repeated wall-clock slot (fall back) fires at both occurrences: true when the minute
    /// or the hour field starts with `*`, as in Vixie/ISC cron. See the DST policy above.
    package var firesInElapsedTime: Bool { minuteIsStar || hourIsStar }

    package var description: String { source }

    // Equal when they fire at the same times: `@daily` == `0 0 * * *`, `0 0 * * 7` == `0 0 * * sun`.
    package static func == (lhs: CronExpression, rhs: CronExpression) -> Bool {
        lhs.semanticKey == rhs.semanticKey
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(semanticKey)
    }

    private var semanticKey: [UInt64] {
        // Only the flags that change behaviour: the DOM/DOW rule and the fall-back rule.
        let dayRuleIsAnd = dayOfMonthIsStar || dayOfWeekIsStar
        return [minutes, hours, daysOfMonth, months, daysOfWeek, dayRuleIsAnd ? 1 : 0, firesInElapsedTime ? 1 : 0]
    }

    static let fieldNames = Field.allCases.map(\.name).joined(separator: " ")
}
