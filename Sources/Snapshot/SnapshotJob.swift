import ArchiveIO
import Foundation
import Logging
import OpsCore
import OpsSupport

/// The `snapshot` job: trigger a DragonflyDB/Redis snapshot, prove it finished (``SnapshotTrigger``),
/// and optionally copy it into `$BACKUP_REPO/dragonfly/` and prune older copies.
///
/// Details recorded in `ops.job_runs` (and exported as metrics): `server`, `file`, `bytes`,
/// `duration_seconds`, `last_save_timestamp_seconds`, `server_duration_seconds`, and with a copy
/// `archive`, `archive_bytes`, `pruned`.
package struct SnapshotJob: OpsJob {
    package let name = "snapshot"
    package var options: SnapshotOptions

    package init(options: SnapshotOptions) {
        self.options = options
    }

    package func run(_ context: JobContext) async throws -> JobOutcome {
        try options.validate()
        let result = try await SnapshotTrigger(configuration: context.configuration, options: options, logger: context.logger).run()
        var details = result.details
        var summary = result.summary
        if options.copyToRepository {
            let repository = SnapshotRepository(backupRepository: context.configuration.backupRepository)
            let published = try await SnapshotArchiver(repository: repository).archive(result)
            details["archive"] = .string(published.archivePath)
            details["archive_bytes"] = .int(published.bytes)
            summary += "; copied to \(published.archivePath) (\(ByteCount.format(published.bytes)))"
            let policy = options.retention
            let pruned = try await BlockingIO.run(name: "snapshot-prune") { try repository.prune(policy) }
            details["pruned"] = .int(Int64(pruned.count))
            if !pruned.isEmpty {
                details["pruned_ids"] = .array(pruned.map { .string($0) })
                summary += "; pruned \(pruned.count) older cop\(pruned.count == 1 ? "y" : "ies")"
            }
        }
        details["summary"] = .string(summary)
        context.logger.info("\(summary)")
        return JobOutcome(details: .object(details))
    }
}
