import ArgumentParser
import Foundation
import OpsCore
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
        if let directory = options.textfileDir {
            do { try TextfileExporter.write(report, to: directory) }
            catch { context.logger.error("cannot write textfile metrics: \(error)") }
        }
        if options.json {
            var object: [String: JSONValue] = [
                "job": .string(report.job),
                "status": .string(report.status.rawValue),
                "duration_seconds": .double(Double(report.duration.components.seconds) + Double(report.duration.components.attoseconds) / 1e18),
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
        switch report.status {
        case .succeeded, .running:
            return
        case .warning:
            throw ArgumentParser.ExitCode(ExitCode.warning)
        case .skipped, .failed:
            if let error = report.error as? OpsError { throw error }
            throw OpsError(.jobFailed, "\(report.job) failed: \(report.error.map { String(describing: $0) } ?? "unknown error")")
        }
    }
}

/// A command that stands for a job. The daemon's schedule lines name these with their arguments
/// (`0 3 * * * backup create --jobs 2`): the line is parsed by the same command types the shell uses,
/// so a schedule accepts exactly what the command line accepts.
protocol JobProducing: ParsableCommand {
    /// The job, configured from this command's parsed options.
    func makeJob() throws -> any OpsJob
}
