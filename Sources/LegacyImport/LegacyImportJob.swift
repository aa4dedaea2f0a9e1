import Foundation
import Logging
import OpsCore
import OpsSupport
import PGClient

/// The `import` job: `auto-i18n-ops import legacy DIR` moves the service's `tmp/` tree into
/// PostgreSQL, one transaction per session, `--jobs` sessions at a time. Runs under the job's advisory
/// lock via `JobRunner` (a second concurrent import exits 75) and is recorded in `ops.job_runs`.
///
/// Outcome: succeeded; warning (exit 10) when sessions were refused; failed with the report (exit 1)
/// when `--verify` found differences.
package struct LegacyImportJob: OpsJob {
    package let name = "import"
    package let options: LegacyImportOptions

    package init(options: LegacyImportOptions) {
        self.options = options
    }

    package func run(_ context: JobContext) async throws -> JobOutcome {
        let options = try options.validate(maxConnections: context.configuration.postgresMaxConnections)
        let tree = try await BlockingIO.run(name: "legacy-tree") { try LegacyTree.open(options.directory, only: options.senders) }
        let report = try await Self.run(tree: tree, options: options, context: context)
        var warnings: [String] = []
        if report.refusedCount > 0 {
            warnings.append("\(report.refusedCount) session(s) refused and rolled back (listed in the report); fix them and run the import again")
        }
        if options.mode == .verify, report.differenceCount > 0 || report.refusedCount > 0 {
            return JobOutcome(status: .failed, details: report.json)
        }
        return JobOutcome(details: report.json, warnings: warnings)
    }

    /// Imports every session of `tree` over `options.jobs` connections.
    package static func run(tree: LegacyTree, options: LegacyImportOptions, context: JobContext) async throws -> ImportReport {
        let clock = ContinuousClock()
        let started = clock.now
        var report = ImportReport(tree: tree.root, mode: options.mode.rawValue)
        report.sessionsInTree = tree.senders.count
        report.strayFiles = tree.strayFiles
        report.ignored = Array(tree.ignored.prefix(ImportReport.listLimit))
        report.ignoredCount = tree.ignored.count

        var progress: ImportProgress?
        if options.progress != .none {
            // The totals walk the tree once (no listing is kept), off the cooperative pool.
            let (files, bytes) = try await BlockingIO.run(name: "legacy-measure") {
                tree.senders.reduce((0, Int64(0))) { total, sender in
                    let measured = tree.measure(sender: sender)
                    return (total.0 + measured.files, total.1 + measured.bytes)
                }
            }
            progress = ImportProgress(sessions: tree.senders.count, files: files, bytes: bytes, display: options.progress, logger: context.logger)
        }
        let shared = progress
        let queue = SenderQueue(tree.senders)
        let workers = min(options.jobs, max(1, tree.senders.count))
        let ticker = Task { await shared?.run() }
        defer { ticker.cancel() }
        let results = try await withThrowingTaskGroup(of: [SessionResult].self) { group in
            for _ in 0..<workers {
                group.addTask {
                    try await Stores.withPostgres(context.configuration) { connection in
                        let importer = try await SessionImporter(connection: connection, tree: tree, options: options,
                                                                 expiryDays: context.configuration.sessionExpiryDays,
                                                                 progress: shared, logger: context.logger)
                        var done: [SessionResult] = []
                        while let sender = await queue.next() {
                            try Task.checkCancellation()
                            var result = try await importer.run(sender: sender)
                            result.differences = Array(result.differences.prefix(ImportReport.listLimit))
                            done.append(result)
                            shared?.sessionDone()
                        }
                        return done
                    }
                }
            }
            var all: [SessionResult] = []
            for try await batch in group { all += batch }
            return all
        }
        ticker.cancel()
        _ = await ticker.value
        for result in results.sorted(by: { $0.sender < $1.sender }) {
            var result = result
            if options.mode == .verify, result.state == .refused, let refusal = result.refusal {
                result.differenceCount += 1
                result.differences.append(VerifyDifference(sender: result.sender, item: refusal.file + (refusal.line.map { " line \($0)" } ?? ""),
                                                           problem: "not importable: \(refusal.reason)"))
            }
            report.add(result)
        }
        report.seconds = (clock.now - started).inSeconds
        return report
    }
}

/// Hands out sender folders to the workers.
actor SenderQueue {
    private var senders: [String]
    private var index = 0

    init(_ senders: [String]) { self.senders = senders }

    func next() -> String? {
        guard index < senders.count else { return nil }
        defer { index += 1 }
        return senders[index]
    }
}
