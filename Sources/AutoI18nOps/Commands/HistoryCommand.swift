import ArgumentParser
import Foundation
import OpsCore
import OpsSupport
import PGClient

struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "Show recent job runs from ops.job_runs.",
        discussion: EnvironmentHelp.discussion("", EnvironmentHelp.database))
    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("Only this job (backup, retention, snapshot, …; see README, \"Commands\").", valueName: "job")) var job: String?
    @Option(parsing: .unconditional, help: "How many runs (1-10000).") var limit = 20
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be from 1 to 10000") }
        if let job, !CommandJobCatalog.allJobNames.contains(job) {
            throw ValidationError("--job \(job) is not a job: use one of \(CommandJobCatalog.allJobNames.joined(separator: ", "))")
        }
    }

    func run() async throws {
        let context = try global.context(label: "history")
        let runs = try await Stores.withPostgres(context.configuration) { connection in
            try await JobRunHistory(connection: connection).recent(job: job, limit: limit)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            print(String(decoding: try encoder.encode(runs), as: UTF8.self))
            return
        }
        let formatter = ISO8601DateFormatter()
        let rows = runs.map { run in
            [String(run.id), formatter.string(from: run.startedAt), run.job, run.trigger, run.status,
             run.finishedAt.map { DurationText.format(seconds: max(0, $0.timeIntervalSince(run.startedAt))) } ?? "-", run.error ?? ""]
        }
        guard !rows.isEmpty else {
            print(job.map { "no runs of \($0) recorded" } ?? "no runs recorded")
            return
        }
        print(TextTable.render(header: ["ID", "STARTED (UTC)", "JOB", "TRIGGER", "STATUS", "DURATION", "ERROR"], rows: rows))
    }
}
