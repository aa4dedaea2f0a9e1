import Foundation

/// Bounded retries with exponential backoff and jitter, for 5xx, 429/SlowDown, connection resets and
/// timeouts. Authentication and other 4xx errors are never retried.
package struct S3RetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first included.
    package var maxAttempts: Int = 5
    /// Delay before the second attempt; doubles each time, capped at `maxDelay`.
    package var baseDelay: Double = 0.25
    package var maxDelay: Double = 8
    /// No new attempt starts once this many seconds have passed since the first.
    package var maxTotalTime: Double = 120

    package init() {}

    package init(maxAttempts: Int, baseDelay: Double, maxDelay: Double, maxTotalTime: Double) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = max(0, baseDelay)
        self.maxDelay = max(self.baseDelay, maxDelay)
        self.maxTotalTime = max(0, maxTotalTime)
    }

    /// The pause before attempt `attempt + 1` (attempt counts from 1): "equal jitter", a random
    /// value in [d/2, d] for d = min(maxDelay, baseDelay * 2^(attempt-1)).
    package func delay(afterAttempt attempt: Int) -> Double {
        let d = min(maxDelay, baseDelay * pow(2, Double(max(0, attempt - 1))))
        return d <= 0 ? 0 : Double.random(in: (d / 2)...d)
    }
}

/// Transfer settings shared by every request of a client.
package struct S3TransferSettings: Sendable {
    package var retry = S3RetryPolicy()
    /// Bandwidth cap applied to each connection in each direction, or nil.
    package var rateLimit: RateLimit?
    package var connectTimeout: Double = 15
    /// A transfer that moves less than 1 byte/s for this long is treated as a dropped connection.
    package var stallTimeout: Int = 60

    package init() {}
}
