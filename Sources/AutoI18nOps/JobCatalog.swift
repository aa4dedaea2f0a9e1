import ArgumentParser
import OpsCore
import OpsSupport
import Scheduler

/// The jobs a schedule line may name: each is a `JobCommandType`, whose `commandPath` is the subcommand
/// path the shell would use; the line's arguments are parsed by that command type
/// (`AutoI18nOps.parseAsRoot(path + args)`), so a schedule accepts exactly what the command line accepts.
///
/// To schedule a new job command, make it conform to `JobCommandType` and add it to `commands`.
struct CommandJobCatalog: JobCatalog {
    /// The schedulable job commands (restore is a job but never scheduled).
    static let commands: [any JobCommandType.Type] = [
        BackupCreateCommand.self, BackupVerifyCommand.self, BackupPruneCommand.self, BackupCopyCommand.self, RetentionCommand.self,
        StatsRefreshCommand.self, SnapshotCommand.self, CacheStatsCommand.self, HealthCommand.self,
        ScheduleSleepCommand.self,
    ]

    var jobNames: [String] { Self.commands.map { $0.jobName } }

    /// Every job the binary records in `ops.job_runs`, schedulable or not (`history --job` accepts these).
    static let allJobNames: [String] = (commands + [RestoreCommand.self]).map { $0.jobName } + ["import"]

    /// The operational jobs, whose metric series exist from the daemon's start.
    var metricsJobs: [String] { Self.commands.filter { !$0.isDiagnostic }.map { $0.jobName } }

    func makeJob(_ name: String, arguments: [String]) throws -> any OpsJob {
        guard let type = Self.commands.first(where: { $0.jobName == name }) else {
            throw OpsError(.usage, "unknown job '\(name)'")
        }
        let parsed: any ParsableCommand
        do {
            parsed = try AutoI18nOps.parseAsRoot(type.commandPath + arguments)
        } catch {
            let message = AutoI18nOps.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments"
            throw OpsError(.usage, message.isEmpty ? "invalid arguments" : message)
        }
        guard let command = parsed as? any JobCommandType else {
            throw OpsError(.usage, "'\((type.commandPath + arguments).joined(separator: " "))' is not a job command")
        }
        try Self.rejectProcessOptions(in: command)
        let job = try ProgressMeter.$logOnly.withValue(true) { try command.makeJob() }
        guard job.name == name else {
            throw OpsError(.usage, "'\(type.commandPath.joined(separator: " "))' runs job '\(job.name)', not '\(name)'")
        }
        return job
    }

    /// Global and output options on a schedule line would be silently ignored (the daemon has one
    /// configuration and prints nothing per run), so they are refused instead.
    static func rejectProcessOptions(in command: any JobCommandType) throws {
        let global = command.global
        if global.databaseURL != nil || global.redisURL != nil || global.trigger != "manual"
            || global.logging.logLevel != "info" || global.logging.logFormat != "text" {
            throw OpsError(.usage, "global options (--database-url, --redis-url, --trigger, --log-*) belong to 'run', not to a schedule line")
        }
        if command.jobOptions.json || command.jobOptions.textfileDir != nil {
            throw OpsError(.usage, "--json and --textfile-dir are for one-shot runs, not schedule lines (the daemon serves /metrics)")
        }
    }
}
