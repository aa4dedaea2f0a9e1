import ArgumentParser
import Logging
import OpsCore

/// Options every command takes. Values given here override the environment.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("PostgreSQL URL or conninfo (default: $DATABASE_URL).", valueName: "url"))
    var databaseURL: String?

    @Option(name: .long, help: ArgumentHelp("DragonflyDB/Redis URL redis://[:password@]host:port[/db] (default: $REDIS_URL).", valueName: "url"))
    var redisURL: String?

    @OptionGroup var logging: LoggingOptions

    @Option(name: .long, help: "Who started this run, recorded in ops.job_runs: manual, cron or schedule.")
    var trigger: String = "manual"

    /// Configuration from the environment with these options applied; sets up logging once.
    func configuration() throws -> OpsConfiguration {
        var configuration = try OpsConfiguration()
        if let databaseURL { configuration.databaseURL = databaseURL }
        if let redisURL { configuration.redisURL = redisURL }
        return configuration
    }

    func jobTrigger() throws -> JobTrigger {
        guard let value = JobTrigger(rawValue: trigger) else {
            throw OpsError(.usage, "--trigger \(trigger) is not valid: use manual, cron or schedule")
        }
        return value
    }

    func bootstrapLogging() throws { try logging.bootstrapLogging() }

    /// Logging, configuration and trigger for a job run.
    func context(label: String) throws -> JobContext {
        try bootstrapLogging()
        return JobContext(configuration: try configuration(), logger: Logger(label: "auto-i18n-ops.\(label)"), trigger: try jobTrigger())
    }
}

/// Logging options, alone for the commands that touch no store (`schedule check`, `schedule next`).
struct LoggingOptions: ParsableArguments {
    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Option(name: .long, help: "text or json (one object per line).")
    var logFormat: String = "text"

    func bootstrapLogging() throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw OpsError(.usage, "--log-level \(logLevel) is not valid: use trace, debug, info, notice, warning, error or critical")
        }
        guard let format = LogFormat(rawValue: logFormat) else {
            throw OpsError(.usage, "--log-format \(logFormat) is not valid: use text or json")
        }
        LoggingOnce.bootstrap(format: format, level: level)
    }
}

/// swift-log may be bootstrapped only once per process.
enum LoggingOnce {
    nonisolated(unsafe) private static var done = false
    static func bootstrap(format: LogFormat, level: Logger.Level) {
        guard !done else { return }
        done = true
        LoggingSetup.bootstrap(format: format, level: level)
    }
}
