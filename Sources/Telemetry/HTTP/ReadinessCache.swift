/// `/readyz` answers from a readiness state refreshed at most once per `maxAge` (issue 14): a probe
/// storm (162 req/s) costs one PostgreSQL and one Redis connection a second, not one per request.
/// Requests arriving while a refresh runs wait for that same refresh.
package actor ReadinessCache {
    private let check: @Sendable () async -> MetricsServer.Readiness
    private let maxAge: Duration
    private let clock = ContinuousClock()
    private var last: (at: ContinuousClock.Instant, value: MetricsServer.Readiness)?
    private var refreshing: Task<MetricsServer.Readiness, Never>?
    /// How many checks ran (for tests and debugging).
    package private(set) var checks = 0

    /// - Parameters:
    ///   - maxAge: how old an answer may be (1 s for the daemon).
    ///   - check: the real check of both stores.
    package init(maxAge: Duration = .seconds(1), check: @escaping @Sendable () async -> MetricsServer.Readiness) {
        self.maxAge = maxAge
        self.check = check
    }

    /// The last answer if it is younger than `maxAge`, else a fresh one (shared with concurrent callers).
    package func current() async -> MetricsServer.Readiness {
        if let last, clock.now - last.at < maxAge { return last.value }
        if let refreshing { return await refreshing.value }
        let task = Task { await check() }
        refreshing = task
        let value = await task.value
        checks += 1
        last = (clock.now, value)
        refreshing = nil
        return value
    }
}
