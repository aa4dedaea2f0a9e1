import ArgumentParser
import Foundation
import OpsCore
import PGClient

struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "Show recent job runs from ops.job_runs.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Only this job.") var job: String?
    @Option(help: "How many runs.") var limit = 20
    @Flag(help: "Print JSON.") var json = false

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
        for run in runs {
            let seconds = run.finishedAt.map { String(format: "%.1fs", $0.timeIntervalSince(run.startedAt)) } ?? "-"
            print("\(run.id)  \(formatter.string(from: run.startedAt))  \(run.job)  \(run.trigger)  \(run.status)  \(seconds)  \(run.error ?? "")")
        }
    }
}
