/// Range checks for numeric command-line options, as usage errors (exit 2) naming the option and its
/// range: `--jobs -1 is not valid: must be at least 1`.
///
/// Integer options are declared with `parsing: .unconditional` so that argument-parser hands a
/// negative value (`--jobs -1`) to this check instead of reading it as an unknown flag and
/// reporting "Missing value".
package enum NumberOption {
    /// `--jobs` and other connection counts: 1 to 1000 (the range of `POSTGRES_MAX_CONNECTIONS`).
    package static let connections: ClosedRange<Int> = 1...1000
    /// `schedule next|check --count`: enough for a year of a 1-minute schedule's hours, never gigabytes.
    package static let fireTimes: ClosedRange<Int> = 1...10_000

    /// `value` if it lies in `range`, else a usage error naming `option` and the range.
    package static func int(_ value: Int, _ option: String, range: ClosedRange<Int>) throws -> Int {
        if value < range.lowerBound {
            throw OpsError(.usage, "\(option) \(value) is not valid: must be at least \(range.lowerBound)\(upper(range))")
        }
        if value > range.upperBound {
            throw OpsError(.usage, "\(option) \(value) is not valid: must be at most \(range.upperBound)")
        }
        return value
    }

    /// A share (`0.8` = 80 %): a finite number from 0 to 1; `nan` and `inf` are refused.
    package static func share(_ value: Double, _ option: String) throws -> Double {
        guard value.isFinite, (0...1).contains(value) else {
            throw OpsError(.usage, "\(option) \(value) is not valid: use a share from 0 to 1 (e.g. 0.8)")
        }
        return value
    }

    /// Refuses a warn threshold above its fail threshold (a check that fails before it warns).
    package static func ordered<T: Comparable>(warn: T, _ warnOption: String, fail: T, _ failOption: String) throws {
        guard warn <= fail else {
            throw OpsError(.usage, "\(warnOption) must not be above \(failOption): a check warns before it fails")
        }
    }

    private static func upper(_ range: ClosedRange<Int>) -> String {
        range.upperBound == Int.max ? "" : " (and at most \(range.upperBound))"
    }
}
