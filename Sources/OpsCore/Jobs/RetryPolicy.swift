import OpsSupport

/// How often a run is attempted when it fails for a transient reason (a store unreachable), and how
/// long to wait in between: exponential backoff with jitter, as AWS' "full jitter" advice has it,
/// so replicas and jobs that failed together do not retry together.
///
/// Logic errors (a job that ran and failed, bad input, a timeout) are never retried: running them
/// again would fail again, or do twice what should happen once.
package struct RetryPolicy: Sendable, Hashable {
    /// Attempts in total; 1 means no retry.
    package var maxAttempts: Int
    /// The wait after the first failed attempt, doubled after each further one.
    package var baseDelay: Duration
    /// The longest wait between two attempts.
    package var maxDelay: Duration

    /// One attempt, no retry.
    package static let none = RetryPolicy(maxAttempts: 1)

    /// - Parameters:
    ///   - maxAttempts: attempts in total (at least 1).
    ///   - baseDelay: the wait after the first failure.
    ///   - maxDelay: the cap of the exponential wait.
    package init(maxAttempts: Int = 1, baseDelay: Duration = .seconds(10), maxDelay: Duration = .seconds(300)) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// The wait before the attempt after `attempt` (1-based) failed: `base · 2^(attempt-1)`, capped,
    /// then a uniformly random point in its upper half (never zero, never above the cap).
    ///
    /// - Parameters:
    ///   - attempt: the attempt that just failed, from 1.
    ///   - random: a value in `0..<1` (injectable so tests are deterministic).
    package func delay(afterAttempt attempt: Int, random: Double = Double.random(in: 0..<1)) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let base = seconds(baseDelay) * Double(1 << exponent)
        let capped = min(base, seconds(maxDelay))
        return .milliseconds(Int64((capped / 2 + capped / 2 * random) * 1000))
    }

    /// Whether `error` is worth another attempt: a store that is unreachable, refused the connection or
    /// dropped it (`OpsError.Code.storeUnavailable` after mapping client errors).
    package static func isTransient(_ error: any Error) -> Bool {
        (Stores.opsError(error) as? OpsError)?.code == .storeUnavailable
    }

    private func seconds(_ duration: Duration) -> Double { duration.inSeconds }
}
