import Foundation

/// The one duration grammar of every command-line option and schedule-file policy that takes a duration.
///
/// Forms: `500ms`, `30s`, `15m`, `6h`, `1d`, compounds such as `1h30m` or `2d12h`, decimals such as
/// `1.5s`; a bare number is in the option's bare unit (seconds unless documented otherwise, e.g. a
/// threshold in milliseconds). Case and surrounding white space are ignored. Nothing else is accepted
/// (no signs, exponents, `inf` or `nan`), and no value above ten years, so a parsed duration always
/// converts to whole milliseconds without overflow.
package enum DurationText {
    /// The units, longest suffix first so `ms` is not read as `m`.
    package enum Unit: String, CaseIterable, Sendable {
        case milliseconds = "ms", seconds = "s", minutes = "m", hours = "h", days = "d"

        var milliseconds: Double {
            switch self {
            case .milliseconds: 1
            case .seconds: 1000
            case .minutes: 60_000
            case .hours: 3_600_000
            case .days: 86_400_000
            }
        }
    }

    /// What any duration may be at most: ten years.
    package static let maximum: Duration = .seconds(10 * 366 * 86_400)

    /// The accepted forms, for error messages and help texts.
    package static func acceptedForms(bareUnit: Unit = .seconds) -> String {
        "a duration such as 500ms, 30s, 15m, 1h30m or 1d (a bare number is \(bareUnit == .seconds ? "seconds" : "in \(bareUnit.rawValue)"))"
    }

    /// Parses `text`.
    /// - Parameters:
    ///   - subject: how the value is named in the error: `--timeout`, `timeout=`.
    ///   - range: the values the option allows; outside it is an error naming the range.
    ///   - bareUnit: the unit of a number without one.
    /// - Throws: `DurationSyntaxError` whose description is one line naming `subject`, the value and
    ///   the accepted forms or range.
    package static func parse(_ text: String, subject: String, range: ClosedRange<Duration> = .zero...maximum,
                              bareUnit: Unit = .seconds) throws(DurationSyntaxError) -> Duration {
        guard let value = parse(text, bareUnit: bareUnit) else {
            throw DurationSyntaxError(subject: subject, text: text, problem: "expected \(acceptedForms(bareUnit: bareUnit))")
        }
        guard range.contains(value) else {
            throw DurationSyntaxError(subject: subject, text: text,
                                      problem: "must be between \(format(range.lowerBound)) and \(format(range.upperBound))")
        }
        return value
    }

    /// Parses `text`; nil when it is not a duration of this grammar (or above `maximum`).
    package static func parse(_ text: String, bareUnit: Unit = .seconds) -> Duration? {
        let scalars = Array(text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased().unicodeScalars)
        guard !scalars.isEmpty, scalars.count <= 64 else { return nil }
        let limit = Double(wholeMilliseconds(maximum))
        var total = 0.0
        var index = 0
        var sawUnit = false
        while index < scalars.count {
            // <digits>[.<digits>]
            let start = index
            while index < scalars.count, ("0"..."9").contains(scalars[index]) { index += 1 }
            guard index > start else { return nil }
            if index < scalars.count, scalars[index] == "." {
                index += 1
                let fraction = index
                while index < scalars.count, ("0"..."9").contains(scalars[index]) { index += 1 }
                guard index > fraction else { return nil }
            }
            guard let number = Double(String(String.UnicodeScalarView(scalars[start..<index]))), number.isFinite else { return nil }
            // <unit>, or the end of a bare number.
            let unit: Unit
            if index == scalars.count {
                guard !sawUnit else { return nil }  // `1h30` is ambiguous
                unit = bareUnit
            } else {
                let rest = String(String.UnicodeScalarView(scalars[index...]))
                guard let found = Unit.allCases.first(where: { rest.hasPrefix($0.rawValue) }) else { return nil }
                unit = found
                index += found.rawValue.unicodeScalars.count
                sawUnit = true
            }
            let milliseconds = number * unit.milliseconds
            guard milliseconds <= limit else { return nil }
            total += milliseconds
            guard total <= limit else { return nil }
        }
        return .milliseconds(Int64(total.rounded()))
    }

    /// Whole milliseconds, the unit PostgreSQL's timeouts take: `1500ms`.
    package static func postgres(_ duration: Duration) -> String {
        "\(wholeMilliseconds(duration))ms"
    }

    /// `2.5 s`, `3 min 20 s`, `120 ms`, `2 d 3 h`: for messages.
    package static func format(_ duration: Duration) -> String {
        format(seconds: duration.inSeconds)
    }

    /// - Parameter seconds: a non-negative number of seconds.
    package static func format(seconds: Double) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
        if seconds < 60 { return seconds == seconds.rounded() ? "\(Int(seconds)) s" : String(format: "%.1f s", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 3600 { return whole % 60 == 0 ? "\(whole / 60) min" : "\(whole / 60) min \(whole % 60) s" }
        if whole < 86_400 { return whole % 3600 == 0 ? "\(whole / 3600) h" : "\(whole / 3600) h \(whole % 3600 / 60) min" }
        return whole % 86_400 == 0 ? "\(whole / 86_400) d" : "\(whole / 86_400) d \(whole % 86_400 / 3600) h"
    }

    /// Milliseconds, truncated.
    package static func wholeMilliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

/// A value that is not a duration of the grammar, or out of its option's range.
package struct DurationSyntaxError: Error, CustomStringConvertible, Sendable {
    /// `--timeout` or `timeout=`.
    package var subject: String
    package var text: String
    package var problem: String

    /// `--max-runtime 1x: expected a duration such as 500ms, 30s, 15m, 1h30m or 1d (a bare number is seconds)`.
    package var description: String {
        subject.hasSuffix("=") ? "\(subject)\(text): \(problem)" : "\(subject) \(text): \(problem)"
    }
}

extension Duration {
    /// The duration as fractional seconds, for metrics, JSON and `Date` arithmetic.
    package var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
