import Foundation
import OpsCore
import OpsSupport

/// How the daemon runs one schedule line: timeout, retries, start jitter and catch-up after downtime.
///
/// Every job has defaults (``defaults(for:)``); a schedule line overrides them with `name=value` words
/// between the time fields and the job name:
///
/// ```
/// 0 3 * * *   timeout=2h retries=2 backoff=30s jitter=5m catch-up=12h   backup
/// ```
/// - `timeout=DURATION`: cancel the run after this long (`0` = no timeout).
/// - `retries=N`: attempts after the first for transient failures (a store unreachable); `0` = none.
/// - `backoff=DURATION`: the wait after the first failed attempt, doubled each time (max 5 min),
///   randomised within its upper half.
/// - `jitter=DURATION`: start each run this much after its slot at most; the delay is derived from the
///   job name, so it is the same on every replica and every day (no stampede of jobs sharing a minute).
/// - `catch-up=DURATION`: at start, run once if the latest slot missed while the daemon was down is at
///   most this old (`0` = never catch up).
///
/// Durations are an integer with a unit: `s`, `m`, `h` or `d` (`90s`, `15m`, `6h`, `1d`), or `0`.
package struct JobPolicy: Sendable, Hashable {
    package var timeout: Duration?
    package var retry: RetryPolicy
    package var jitter: Duration
    package var catchUp: Duration

    package init(timeout: Duration?, retry: RetryPolicy, jitter: Duration = .zero, catchUp: Duration = .zero) {
        self.timeout = timeout
        self.retry = retry
        self.jitter = jitter
        self.catchUp = catchUp
    }

    /// The option names a schedule line may set.
    package static let optionNames = ["timeout", "retries", "backoff", "jitter", "catch-up"]

    /// The defaults: long jobs that run daily get a 6-hour catch-up window and generous timeouts;
    /// frequent jobs (snapshot, health, cache-stats) never catch up (their next slot is soon anyway).
    package static func defaults(for job: String) -> JobPolicy {
        func policy(_ timeout: Duration, retries: Int, catchUp: Duration = .zero) -> JobPolicy {
            JobPolicy(timeout: timeout, retry: RetryPolicy(maxAttempts: retries + 1), catchUp: catchUp)
        }
        switch job {
        case "backup": return policy(.seconds(4 * 3600), retries: 3, catchUp: .seconds(6 * 3600))
        case "retention": return policy(.seconds(2 * 3600), retries: 3, catchUp: .seconds(6 * 3600))
        case "backup-verify": return policy(.seconds(4 * 3600), retries: 2)
        case "backup-prune": return policy(.seconds(3600), retries: 3)
        case "stats-refresh": return policy(.seconds(1800), retries: 3)
        case "snapshot": return policy(.seconds(600), retries: 2)
        case "cache-stats": return policy(.seconds(120), retries: 1)
        case "health": return policy(.seconds(50), retries: 0)
        default: return policy(.seconds(3600), retries: 2)
        }
    }

    /// The policy of `entry`: its job's defaults with the line's options applied.
    /// - Throws: ``CronError`` `.invalidOption` naming the option and what is wrong (not yet located).
    package static func resolve(_ entry: CronScheduleFile.Entry) throws(CronError) -> JobPolicy {
        var policy = defaults(for: entry.job)
        for option in entry.options {
            switch option.name {
            case "timeout":
                let value = try duration(option)
                policy.timeout = value == .zero ? nil : value
            case "retries":
                guard let count = Int(option.value), (0...20).contains(count) else {
                    throw CronError(.invalidOption, "retries=\(option.value): expected a number of retries from 0 to 20")
                }
                policy.retry.maxAttempts = count + 1
            case "backoff":
                let value = try duration(option)
                guard value > .zero else { throw CronError(.invalidOption, "backoff=\(option.value): must be more than 0") }
                policy.retry.baseDelay = value
            case "jitter":
                policy.jitter = try duration(option)
            case "catch-up":
                policy.catchUp = try duration(option)
            default:
                throw CronError(.invalidOption, "unknown option '\(option.name)' (known: \(optionNames.joined(separator: ", ")))")
            }
        }
        return policy
    }

    /// A policy's duration in the one grammar (`90s`, `15m`, `1h30m`, `1d`, `0`, a bare number of
    /// seconds), at most a year: a slot's policy never spans more.
    static func duration(_ option: CronScheduleFile.Entry.Option) throws(CronError) -> Duration {
        do {
            return try DurationText.parse(option.value, subject: "\(option.name)=", range: .zero ... .seconds(366 * 86_400))
        } catch {
            throw CronError(.invalidOption, error.description)
        }
    }

    /// The stable start delay of `job` within `jitter`: FNV-1a of the job name, so every replica and every
    /// day agree, and jobs sharing a minute spread out.
    package func startDelay(for job: String) -> Duration {
        let total = jitter.components.seconds
        guard total > 0 else { return .zero }
        let hash = AdvisoryLockKey.forName("jitter:\(job)").value
        return .seconds(Int64(UInt64(bitPattern: hash) % UInt64(total)))
    }
}
