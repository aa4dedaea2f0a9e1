import ArgumentParser
import OpsCore
import Scheduler

/// The jobs a schedule line may name: each job name maps to the subcommand path the shell would use,
/// and the line's arguments are parsed by that command type (`AutoI18nOps.parseAsRoot(path + args)`),
/// so a schedule accepts exactly what the command line accepts.
///
/// To schedule a new job command, make it conform to `JobProducing` and add one row to `table`.
struct CommandJobCatalog: JobCatalog {
    /// job name (as in schedule lines, locks, history and metrics) → subcommand path.
    /// A row whose command is not (yet) in this binary is left out of ``jobNames``, so a schedule naming
    /// it fails with "unknown job" at its line.
    static let table: [(job: String, path: [String])] = [
        ("backup", ["backup", "create"]),
        ("backup-verify", ["backup", "verify"]),
        ("backup-prune", ["backup", "prune"]),
        ("retention", ["retention"]),
        ("stats-refresh", ["stats", "refresh"]),
        ("snapshot", ["snapshot"]),
        ("cache-stats", ["cache", "stats"]),
        ("health", ["health"]),
        ("sleep", ["schedule", "sleep"]),  // diagnostic (tests, trying a schedule out); not in metrics unless scheduled
    ]

    /// Jobs that are diagnostics, not operations: their metric series appear only when scheduled.
    static let diagnosticJobs: Set<String> = ["sleep"]

    var jobNames: [String] { Self.table.filter { Self.commandType(at: $0.path) is JobProducing.Type }.map(\.job) }

    /// The command type at a subcommand path of the executable, if there is one.
    static func commandType(at path: [String]) -> ParsableCommand.Type? {
        var current: ParsableCommand.Type = AutoI18nOps.self
        for name in path {
            guard let next = current.configuration.subcommands.first(where: { $0._commandName == name }) else { return nil }
            current = next
        }
        return current
    }

    /// The operational jobs, whose metric series exist from the daemon's start.
    var metricsJobs: [String] { jobNames.filter { !Self.diagnosticJobs.contains($0) } }

    func makeJob(_ name: String, arguments: [String]) throws -> any OpsJob {
        guard let path = Self.table.first(where: { $0.job == name })?.path, jobNames.contains(name) else {
            throw OpsError(.usage, "unknown job '\(name)'")
        }
        let command: ParsableCommand
        do {
            command = try AutoI18nOps.parseAsRoot(path + arguments)
        } catch {
            let message = AutoI18nOps.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments"
            throw OpsError(.usage, message.isEmpty ? "invalid arguments" : message)
        }
        guard let producing = command as? JobProducing else {
            throw OpsError(.usage, "'\((path + arguments).joined(separator: " "))' is not a job command")
        }
        try Self.rejectProcessOptions(in: command)
        let job = try producing.makeJob()
        guard job.name == name else {
            throw OpsError(.usage, "'\(path.joined(separator: " "))' runs job '\(job.name)', not '\(name)'")
        }
        return job
    }

    /// Global and output options on a schedule line would be silently ignored (the daemon has one
    /// configuration and prints nothing per run), so they are refused instead.
    static func rejectProcessOptions(in command: ParsableCommand) throws {
        for child in Mirror(reflecting: command).children {
            if let group = child.value as? OptionGroup<GlobalOptions> {
                let global = group.wrappedValue
                if global.databaseURL != nil || global.redisURL != nil || global.trigger != "manual"
                    || global.logLevel != "info" || global.logFormat != "text" {
                    throw OpsError(.usage, "global options (--database-url, --redis-url, --trigger, --log-*) belong to 'run', not to a schedule line")
                }
            }
            if let group = child.value as? OptionGroup<JobOptions>, group.wrappedValue.json || group.wrappedValue.textfileDir != nil {
                throw OpsError(.usage, "--json and --textfile-dir are for one-shot runs, not schedule lines (the daemon serves /metrics)")
            }
        }
    }
}
