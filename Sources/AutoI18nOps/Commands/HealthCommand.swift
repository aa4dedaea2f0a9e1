import ArgumentParser
import Health
import Foundation
import Logging
import OpsCore
import OpsSupport
import Telemetry

struct HealthCommand: JobCommandType {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Check PostgreSQL and the Redis-compatible server; exit 0 on pass or warn.",
        discussion: EnvironmentHelp.discussion("", EnvironmentHelp.database, EnvironmentHelp.redis, ["ENABLE_CACHE"]))
    static let jobName = "health"
    static let commandPath = ["health"]
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print application/health+json.") var json = false
    @Option(parsing: .unconditional, help: "Warn when this share of max_connections is in use.") var connectionsWarn = 0.8
    @Option(parsing: .unconditional, help: "Fail when this share of max_connections is in use.") var connectionsFail = 0.95
    @Option(help: ArgumentHelp("Warn when a transaction has been open this long (e.g. 1h, 30m; a bare number is seconds).", valueName: "duration"))
    var transactionAgeWarn = "1h"
    @Option(help: ArgumentHelp("Fail when a transaction has been open this long (e.g. 6h; a bare number is seconds).", valueName: "duration"))
    var transactionAgeFail = "6h"
    @Option(help: ArgumentHelp("Warn when a round trip takes longer (e.g. 250ms, 1s; a bare number is milliseconds).", valueName: "duration"))
    var responseTimeWarn = "100ms"
    @Option(parsing: .unconditional, help: "Warn when this share of maxmemory is used.") var memoryWarn = 0.9
    @Option(parsing: .unconditional, help: "Fail when this share of maxmemory is used.") var memoryFail = 0.98
    @Option(help: ArgumentHelp("Warn when the last successful snapshot is older (e.g. 1h, 90m; a bare number is seconds; 0 = off).", valueName: "duration"))
    var snapshotAgeWarn = "1h"
    @Option(name: .long, help: ArgumentHelp("Write node_exporter textfile metrics for this check into DIR (atomically).", valueName: "dir"))
    var textfileDir: String?

    /// `health` has its own `--json` (the health+json document) and `--textfile-dir`; a schedule line refuses both.
    var jobOptions: JobOptions {
        var options = JobOptions()
        options.json = json
        options.textfileDir = textfileDir
        return options
    }

    func makeJob() throws -> any OpsJob { HealthJob(thresholds: try thresholds) }

    var thresholds: HealthThresholds { get throws {
        var thresholds = HealthThresholds()
        thresholds.connectionsWarn = try NumberOption.share(connectionsWarn, "--connections-warn")
        thresholds.connectionsFail = try NumberOption.share(connectionsFail, "--connections-fail")
        try NumberOption.ordered(warn: thresholds.connectionsWarn, "--connections-warn", fail: thresholds.connectionsFail, "--connections-fail")
        thresholds.transactionAgeWarn = try DurationText.option(transactionAgeWarn, "--transaction-age-warn").inSeconds
        thresholds.transactionAgeFail = try DurationText.option(transactionAgeFail, "--transaction-age-fail").inSeconds
        thresholds.responseTimeWarnMs = try DurationText.option(responseTimeWarn, "--response-time-warn", bareUnit: .milliseconds).inSeconds * 1000
        try NumberOption.ordered(warn: thresholds.transactionAgeWarn, "--transaction-age-warn", fail: thresholds.transactionAgeFail, "--transaction-age-fail")
        thresholds.memoryWarn = try NumberOption.share(memoryWarn, "--memory-warn")
        thresholds.memoryFail = try NumberOption.share(memoryFail, "--memory-fail")
        try NumberOption.ordered(warn: thresholds.memoryWarn, "--memory-warn", fail: thresholds.memoryFail, "--memory-fail")
        thresholds.snapshotAgeWarn = try DurationText.option(snapshotAgeWarn, "--snapshot-age-warn", range: .zero...DurationText.maximum).inSeconds
        return thresholds
    } }

    func run() async throws {
        let textfile = jobOptions
        var loaded: JobContext?
        let context: JobContext
        let thresholds: HealthThresholds
        do {
            context = try global.context(label: "health")
            loaded = context
            thresholds = try self.thresholds
            try Stores.validate(context.configuration, requireRedis: context.configuration.enableCache)
        } catch {
            try await JobCommand.failedBeforeStart(job: "health", error: error, configuration: loaded?.configuration, options: textfile)
        }
        let clock = ContinuousClock()
        let begin = clock.now
        let report = await HealthJob(thresholds: thresholds).check(context.configuration)
        print(json ? report.json.jsonString(pretty: true) : report.table, terminator: json ? "\n" : "")
        let verdict = Result { try HealthJob.verdict(report) }
        if let textfileDir {
            // One-shot mode for system cron: the same gauges as the daemon's, for node_exporter.
            let status: JobRunStatus = report.status == .fail ? .failed : report.status == .warn ? .warning : .succeeded
            var failure: (any Error)?
            if case .failure(let error) = verdict { failure = error }
            let run = JobRunner.Report(job: "health", status: status, error: failure, duration: clock.now - begin)
            if let error = await JobCommand.exportTextfile(run, configuration: context.configuration, options: textfile) {
                if case .success = verdict { throw error }
                FileHandle.standardError.write(Data("auto-i18n-ops: \(error.message)\n".utf8))
            }
        }
        try verdict.get()
    }
}
