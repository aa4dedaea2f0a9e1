import ArgumentParser
import Foundation
import Logging
import OpsCore
import OpsSupport
import Telemetry

/// Options every job command takes (backup, retention, snapshot, health run as a job, …).
struct JobOptions: ParsableArguments {
    @Flag(help: "Print the run's summary as JSON on stdout.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("Write node_exporter textfile metrics for this run into DIR (atomically).", valueName: "dir"))
    var textfileDir: String?
}

/// Runs a job one-shot the way the scheduler does (advisory lock, ops.job_runs), prints its summary,
/// writes textfile metrics when asked, and ends with the documented exit code.
enum JobCommand {
    static func run(_ job: some OpsJob, context: JobContext, options: JobOptions,
                    summary: (JobOutcome) -> String = { $0.details.jsonString(pretty: true) }) async throws {
        let report = await JobRunner(context: context).run(job)
        // The run is recorded; a webhook delivery (bounded retries, ~25 s at most) finishes before exit.
        await report.notification?.value
        let textfileError = await exportTextfile(report, configuration: context.configuration, options: options)
        printReport(report, json: options.json, summary: summary)
        switch report.status {
        case .succeeded, .running:
            if let textfileError { throw textfileError }
        case .warning:
            if let textfileError { throw textfileError }
            throw ArgumentParser.ExitCode(ExitCode.warning)
        case .skipped, .failed, .interrupted:
            if let textfileError { FileHandle.standardError.write(Data("auto-i18n-ops: \(textfileError.message)\n".utf8)) }
            if let error = report.error as? OpsError { throw error }
            throw OpsError(.jobFailed, "\(report.job) failed: \(report.error.map { String(describing: $0) } ?? "unknown error")")
        }
    }

    /// Prints a finished run: `--json` the run summary object (snake_case keys), else the job's summary
    /// text on stdout and its warnings, one line each, on stderr.
    static func printReport(_ report: JobRunner.Report, json: Bool, summary: (JobOutcome) -> String) {
        if json {
            var object: [String: JSONValue] = [
                "job": .string(report.job),
                "status": .string(report.status.rawValue),
                "duration_seconds": .double(report.duration.inSeconds),
            ]
            if let id = report.runID { object["run_id"] = .int(id) }
            if let outcome = report.outcome {
                object["details"] = outcome.details
                if !outcome.warnings.isEmpty { object["warnings"] = .array(outcome.warnings.map { .string($0) }) }
            }
            if let error = report.error { object["error"] = .string(String(describing: error)) }
            print(JSONValue.object(object).jsonString(pretty: true))
        } else if let outcome = report.outcome {
            print(summary(outcome))
            for warning in outcome.warnings { FileHandle.standardError.write(Data("auto-i18n-ops: warning: \(warning)\n".utf8)) }
        }
    }

    /// Writes the run's textfile metrics when `--textfile-dir` is given, with what a probe of the stores
    /// sees now (nil configuration: nothing is known of the stores, only the job file is written).
    /// Returns the error to end the process with when the file cannot be written: a run whose metrics
    /// go stale must not look fine.
    static func exportTextfile(_ report: JobRunner.Report, configuration: OpsConfiguration?, options: JobOptions) async -> OpsError? {
        guard let directory = options.textfileDir else { return nil }
        var stores: StoreProbe.Status?
        if let configuration { stores = await StoreProbe.check(configuration) }
        do {
            try TextfileExporter.write(report, stores: stores, to: directory)
            return nil
        } catch {
            return OpsError(.jobFailed, "cannot write textfile metrics into \(directory): \(error); make the directory writable by this user or fix --textfile-dir")
        }
    }

    /// A run that failed before the job could start (a configuration or usage error): its textfile says
    /// so, so the previous run's "succeeded" does not go stale. Rethrows `error`.
    static func failedBeforeStart(job: String, error: any Error, configuration: OpsConfiguration?, options: JobOptions) async throws -> Never {
        let report = JobRunner.Report(job: job, status: .failed, error: error)
        if let textfileError = await exportTextfile(report, configuration: configuration, options: options) {
            FileHandle.standardError.write(Data("auto-i18n-ops: \(textfileError.message)\n".utf8))
        }
        throw error
    }
}

/// A command that stands for a job: the explicit contract the schedule's job catalog and `run()` rely on.
///
/// The daemon's schedule lines name these with their arguments (`0 3 * * * backup create --jobs 2`): the
/// line is parsed by the same command type the shell uses, so a schedule accepts exactly what the command
/// line accepts. Conforming commands list themselves in `CommandJobCatalog.commands`.
protocol JobCommandType: AsyncParsableCommand {
    /// The job's stable name: schedule lines, advisory locks, history and metrics.
    static var jobName: String { get }
    /// The subcommand path the shell uses, e.g. `["backup", "create"]`.
    static var commandPath: [String] { get }
    /// Whether the job is a diagnostic (metric series only when scheduled), not an operation.
    static var isDiagnostic: Bool { get }

    var global: GlobalOptions { get }
    var jobOptions: JobOptions { get }

    /// The job, configured from this command's parsed options (range-checked: a usage error otherwise).
    func makeJob() throws -> any OpsJob

    /// What the one-shot run prints for a finished run's outcome (default: its details as JSON).
    func summary(_ outcome: JobOutcome) -> String

    /// Checks that must hold before a one-shot run starts (e.g. the URLs the job needs parse).
    func preflight(_ context: JobContext) throws
}

extension JobCommandType {
    static var isDiagnostic: Bool { false }

    func summary(_ outcome: JobOutcome) -> String { outcome.details.jsonString(pretty: true) }

    func preflight(_ context: JobContext) throws {}

    /// A one-shot run: the job under the runner, its summary, textfile metrics, the exit code.
    func run() async throws {
        let job: any OpsJob
        let context: JobContext
        do {
            job = try makeJob()
            context = try global.context(label: Self.jobName)
        } catch {
            try await JobCommand.failedBeforeStart(job: Self.jobName, error: error, configuration: nil, options: jobOptions)
        }
        do { try preflight(context) } catch {
            try await JobCommand.failedBeforeStart(job: Self.jobName, error: error, configuration: context.configuration, options: jobOptions)
        }
        try await JobCommand.run(job, context: context, options: jobOptions, summary: summary)
    }
}
