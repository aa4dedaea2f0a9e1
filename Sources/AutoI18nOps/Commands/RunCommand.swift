import ArgumentParser
import Foundation
import Health
import Logging
import OpsCore
import OpsSupport
import Scheduler
import Telemetry

/// `run`: the daemon operators deploy. Runs every job of the schedule in-process and serves `/metrics`,
/// `/healthz` and `/readyz`.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the scheduler daemon with /metrics, /healthz and /readyz (stop with SIGTERM, reload with SIGHUP).",
        discussion: EnvironmentHelp.discussion("""
            Runs each line of the schedule file at its cron slots, once across all replicas. SIGTERM/SIGINT: no new \
            runs start, running ones get --shutdown-grace to finish, then are cancelled; exit 0. SIGHUP re-reads \
            the schedule and keeps the old one if the new file is invalid. METRICS_TOKEN, when set, is the bearer \
            token /metrics requires.
            """, EnvironmentHelp.database, EnvironmentHelp.redis, ["METRICS_LISTEN", "METRICS_TOKEN", "ENABLE_CACHE", "SESSION_EXPIRY_DAYS", "BATCH_ARCHIVE_DAYS"], EnvironmentHelp.repository, EnvironmentHelp.connections))

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("The schedule file (default: \(InstallLayout.defaultsHelp(\.scheduleFile))).", valueName: "file"))
    var schedule: String?

    @Option(help: ArgumentHelp("Where to serve /metrics, /healthz and /readyz (default: $METRICS_LISTEN or 127.0.0.1:9465).", valueName: "host:port"))
    var listen: String?

    @Option(help: ArgumentHelp("How long running jobs may take to finish after SIGTERM (e.g. 500ms, 30s, 1m30s; a bare number is seconds).", valueName: "duration"))
    var shutdownGrace = "30s"

    @Option(help: ArgumentHelp("Least time between two refreshes of the database-derived metrics.", valueName: "duration"))
    var metricsInterval = "15s"

    @Option(help: ArgumentHelp("Close an HTTP connection with no request in progress (idle, or headers never finished) after this long.", valueName: "duration"))
    var httpIdleTimeout = "60s"

    @Option(parsing: .unconditional, help: "Most HTTP connections served at once (1-10000); more wait in the listen backlog, jobs are not affected.")
    var httpMaxConnections = 256

    @Option(parsing: .unconditional, help: "Delete ops.job_runs rows older than this many days (0 = keep all).")
    var historyDays = 90

    /// Test only: run the scheduler's clock this many times faster than real time.
    @Option(help: .hidden)
    var testTimeScale: Double?

    func run() async throws {
        let context = try global.context(label: "run")
        let grace = try DurationText.option(shutdownGrace, "--shutdown-grace", range: .zero ... .seconds(86_400))
        let interval = try DurationText.option(metricsInterval, "--metrics-interval", range: .zero ... .seconds(86_400))
        try Stores.validate(context.configuration)
        let httpLimits = MetricsServer.Limits(
            idleTimeout: try DurationText.option(httpIdleTimeout, "--http-idle-timeout", range: .milliseconds(100) ... .seconds(86_400)),
            maxConnections: try NumberOption.int(httpMaxConnections, "--http-max-connections", range: 1...10_000))
        let address = try ListenAddress(parsing: listen ?? context.configuration.metricsListen ?? ListenAddress.default.description)
        guard historyDays >= 0 else { throw OpsError(.usage, "--history-days must be 0 or more") }
        let catalog = CommandJobCatalog()
        let path = schedule ?? context.configuration.layout.scheduleFile
        let loaded = try Schedule.load(path: path, catalog: catalog)

        var options = OpsDaemon.Options(listen: address, metricsToken: context.configuration.metricsToken,
                                        shutdownGrace: grace, metricsRefreshInterval: interval, historyRetentionDays: historyDays)
        options.httpLimits = httpLimits
        if let scale = testTimeScale {
            guard scale > 0, scale.isFinite else { throw OpsError(.usage, "--test-time-scale must be more than 0") }
            options.clock = AcceleratedClock(scale: scale)
            context.logger.warning("test clock: scheduler time runs \(scale)x faster than real time")
        }
        let configuration = context.configuration
        try await OpsDaemon.run(
            options: options, schedule: loaded,
            reloadSchedule: { try Schedule.load(path: path, catalog: catalog) },
            context: context, metricsJobs: catalog.metricsJobs,
            readiness: {
                let readiness = await Readiness.check(configuration)
                return MetricsServer.Readiness(ready: readiness.ready, body: readiness.body)
            })
    }
}
