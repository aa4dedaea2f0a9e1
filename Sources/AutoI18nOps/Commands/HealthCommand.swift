import ArgumentParser
import Health
import Foundation
import OpsCore
import Telemetry

struct HealthCommand: AsyncParsableCommand, JobProducing {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Check PostgreSQL and the Redis-compatible server; exit 0 on pass or warn.")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print application/health+json.") var json = false
    @Option(help: "Warn when this share of max_connections is in use.") var connectionsWarn = 0.8
    @Option(help: "Fail when this share of max_connections is in use.") var connectionsFail = 0.95
    @Option(help: "Warn when a transaction has been open this many seconds.") var transactionAgeWarn = 3600.0
    @Option(help: "Fail when a transaction has been open this many seconds.") var transactionAgeFail = 21600.0
    @Option(help: "Warn when a round trip takes longer (ms).") var responseTimeWarn = 100.0
    @Option(help: "Warn when this share of maxmemory is used.") var memoryWarn = 0.9
    @Option(help: "Fail when this share of maxmemory is used.") var memoryFail = 0.98
    @Option(help: "Warn when the last successful snapshot is older (seconds; 0 = off).") var snapshotAgeWarn = 3600.0
    @Option(name: .long, help: ArgumentHelp("Write node_exporter textfile metrics for this check into DIR (atomically).", valueName: "dir"))
    var textfileDir: String?

    func makeJob() throws -> any OpsJob { HealthJob(thresholds: thresholds) }

    var thresholds: HealthThresholds {
        var thresholds = HealthThresholds()
        thresholds.connectionsWarn = connectionsWarn
        thresholds.connectionsFail = connectionsFail
        thresholds.transactionAgeWarn = transactionAgeWarn
        thresholds.transactionAgeFail = transactionAgeFail
        thresholds.responseTimeWarnMs = responseTimeWarn
        thresholds.memoryWarn = memoryWarn
        thresholds.memoryFail = memoryFail
        thresholds.snapshotAgeWarn = snapshotAgeWarn
        return thresholds
    }

    func run() async throws {
        let context = try global.context(label: "health")
        try Stores.validate(context.configuration, requireRedis: context.configuration.enableCache)
        let clock = ContinuousClock()
        let begin = clock.now
        let report = await HealthJob(thresholds: thresholds).check(context.configuration)
        print(json ? report.json.jsonString(pretty: true) : report.table, terminator: json ? "\n" : "")
        let verdict = Result { try HealthJob.verdict(report) }
        if let textfileDir {
            // One-shot mode for system cron: the same gauges as the daemon's, for node_exporter.
            let status: JobRunStatus = report.status == .fail ? .failed : report.status == .warn ? .warning : .succeeded
            let run = JobRunner.Report(job: "health", status: status,
                                       duration: clock.now - begin)
            do { try TextfileExporter.write(run, to: textfileDir) }
            catch { context.logger.error("cannot write textfile metrics: \(error)") }
        }
        try verdict.get()
    }
}
