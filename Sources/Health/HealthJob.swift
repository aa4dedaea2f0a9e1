import OpsCore

/// `health`: checks both stores. As a job it fails when any check fails, and is recorded when PostgreSQL
/// is up; it does not need the ops schema (it must report on an unmigrated or broken database).
package struct HealthJob: OpsJob {
    package let name = "health"
    package var thresholds: HealthThresholds
    package var requiresHistory: Bool { false }

    package init(thresholds: HealthThresholds = HealthThresholds()) {
        self.thresholds = thresholds
    }

    /// Runs every check of both stores concurrently.
    package func check(_ configuration: OpsConfiguration) async -> HealthReport {
        async let postgres = PostgresHealth(configuration: configuration, thresholds: thresholds).checks()
        async let redis: [HealthCheck] = configuration.redisURL != nil
            ? RedisHealth(configuration: configuration, thresholds: thresholds).checks() : []
        return HealthReport(checks: await postgres + redis)
    }

    package func run(_ context: JobContext) async throws -> JobOutcome {
        try Stores.validate(context.configuration, requireRedis: context.configuration.enableCache)
        let report = await check(context.configuration)
        try Self.verdict(report)
        return JobOutcome(status: .succeeded, details: report.json,
                          warnings: report.checks.filter { $0.status == .warn }.map { "\($0.key): \($0.output ?? "warn")" })
    }

    /// Throws the one-line error for a failing report: a store down names the store (exit 3).
    package static func verdict(_ report: HealthReport) throws {
        guard report.status == .fail else { return }
        if let misconfigured = report.checks.first(where: { $0.key.hasSuffix(":configuration") && $0.status == .fail }) {
            throw OpsError(.configuration, misconfigured.output ?? "\(misconfigured.key) is invalid")
        }
        if let down = report.unreachable.first {
            throw OpsError(.storeUnavailable, down.output ?? "\(down.key) failed")
        }
        let failing = report.checks.filter { $0.status == .fail }.map { "\($0.key): \($0.output ?? "fail")" }
        throw OpsError(.jobFailed, "health check failed: " + failing.joined(separator: "; "))
    }
}
