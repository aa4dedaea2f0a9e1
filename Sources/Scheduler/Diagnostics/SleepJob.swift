import OpsCore
import OpsSupport

/// The diagnostic `sleep` job (`schedule sleep`): waits, then succeeds or fails as asked. It lets an
/// operator try a schedule, the daemon's shutdown and its retry policy without touching data.
package struct SleepJob: OpsJob {
    package enum Failure: String, Sendable {
        /// A store unavailable: retried by the job's policy.
        case transient
        /// A logic error: not retried.
        case logic
    }

    package let name = "sleep"
    package let duration: Duration
    package let failure: Failure?
    /// Fail transiently on the first N attempts of this process, then succeed.
    package let failAttempts: Int
    /// Attempts so far in this process: the job value is shared by the retries of one slot.
    private let attempts = LockedBox(0)

    package var requiresHistory: Bool { true }

    package init(duration: Duration, failure: Failure?, failAttempts: Int) {
        self.duration = duration
        self.failure = failure
        self.failAttempts = failAttempts
    }

    package func run(_ context: JobContext) async throws -> JobOutcome {
        try await Task.sleep(for: duration)
        let attempt = attempts.withLock { count in
            count += 1
            return count
        }
        if attempt <= failAttempts || failure == .transient {
            throw OpsError(.storeUnavailable, "sleep: simulated transient failure (attempt \(attempt))")
        }
        if failure == .logic { throw OpsError(.jobFailed, "sleep: simulated failure") }
        return JobOutcome(details: ["slept_seconds": .double(duration.inSeconds), "attempt": .int(Int64(attempt))])
    }
}
