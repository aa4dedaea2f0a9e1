import Foundation
import Logging
import OpsCore
import ServiceLifecycle
import Telemetry
import UnixSignals

/// `auto-i18n-ops run`: the scheduler and the HTTP endpoints in one `ServiceGroup`.
///
/// SIGTERM and SIGINT shut the group down gracefully, in reverse order of start: first the scheduler
/// (no new runs; running ones get the grace period, then are cancelled and recorded), then the HTTP
/// server, so `/metrics` and `/healthz` answer until the jobs are done. SIGHUP reloads the schedule.
package enum OpsDaemon {
    /// The daemon's settings.
    package struct Options: Sendable {
        package var listen: ListenAddress
        /// `METRICS_TOKEN`: bearer token `/metrics` requires, if set.
        package var metricsToken: String?
        package var shutdownGrace: Duration
        package var metricsRefreshInterval: Duration
        package var historyRetentionDays: Int
        /// Test only: an accelerated clock; the wall clock otherwise.
        package var clock: any SchedulerClock
        /// The HTTP side's idle/header-read timeout and connection limit.
        package var httpLimits = MetricsServer.Limits()

        package init(listen: ListenAddress = .default, metricsToken: String? = nil, shutdownGrace: Duration = .seconds(30),
                    metricsRefreshInterval: Duration = .seconds(15), historyRetentionDays: Int = 90,
                    clock: any SchedulerClock = WallClock()) {
            self.listen = listen
            self.metricsToken = metricsToken
            self.shutdownGrace = shutdownGrace
            self.metricsRefreshInterval = metricsRefreshInterval
            self.historyRetentionDays = historyRetentionDays
            self.clock = clock
        }
    }

    /// Runs until SIGTERM/SIGINT (or a service fails) and returns after a clean shutdown.
    ///
    /// - Parameters:
    ///   - options: listen address, token, grace period, refresh interval, history retention, clock.
    ///   - schedule: the validated schedule to start with.
    ///   - reloadSchedule: re-reads the schedule file (SIGHUP).
    ///   - context: configuration and logger for the job runs.
    ///   - metricsJobs: jobs whose metric series exist from the start (besides the schedule's).
    ///   - readiness: the `/readyz` check.
    ///   - onListening: called with the bound port.
    /// - Throws: `OpsError` when the HTTP server cannot listen.
    package static func run(options: Options, schedule: Schedule, reloadSchedule: @escaping @Sendable () throws -> Schedule,
                           context: JobContext, metricsJobs: [String],
                           readiness: @escaping @Sendable () async -> MetricsServer.Readiness,
                           onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let logger = context.logger
        let collector = MetricsCollector(configuration: context.configuration, jobs: metricsJobs + schedule.jobNames,
                                         refreshInterval: options.metricsRefreshInterval, logger: logger)
        // The first refresh marks where counting starts; runs ending from now on are counted.
        await collector.refresh()
        let observer = SchedulerService.Observer(
            slotSkipped: { job, reason, count in collector.recordSkip(job: job, reason: reason, count: count) },
            scheduleLoaded: { collector.register(jobs: $0.jobNames) })
        let scheduler = SchedulerService(
            configuration: .init(schedule: schedule, reloadSchedule: reloadSchedule, context: context, clock: options.clock,
                                 shutdownGrace: options.shutdownGrace, historyRetentionDays: options.historyRetentionDays),
            observer: observer, logger: logger)
        let http = MetricsServer.service(address: options.listen, token: options.metricsToken, collector: collector,
                                         readiness: readiness, logger: logger, limits: options.httpLimits, onListening: onListening)
        let reload = ReloadSignal { scheduler.reload() }
        defer { reload.cancel() }

        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [
                .init(service: http, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
                .init(service: scheduler, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        do {
            try await group.run()
        } catch {
            throw OpsError(.configuration, "the daemon stopped: cannot serve on \(options.listen): \(rootCause(error))")
        }
    }

    /// The innermost error of a ServiceGroup failure, e.g. "Address already in use".
    private static func rootCause(_ error: any Error) -> String {
        let text = String(describing: error)
        if let range = text.range(of: "Address already in use") { return String(text[range]) }
        return text
    }
}
