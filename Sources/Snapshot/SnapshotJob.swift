import ArchiveIO
import Foundation
import Logging
import OpsCore
import ObjectStore
import OpsSupport
import Repository

/// The `snapshot` job: trigger a DragonflyDB/Redis snapshot, prove it finished (``SnapshotTrigger``),
/// and optionally copy it into `dragonfly/` of the backup repository (`--repo` or `$BACKUP_REPO`, local or
/// S3; encrypted to `--recipient` / `BACKUP_RECIPIENTS` when given) and prune older copies there.
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
        // The repository and the recipients are checked before the server is asked to save.
        let copy = options.copyToRepository ? try archiver(context.configuration) : nil
        let result = try await SnapshotTrigger(configuration: context.configuration, options: options, logger: context.logger).run()
        var details = result.details
        var summary = result.summary
        if let copy {
            let repository = copy.repository
            let published = try await copy.archive(result)
            details["archive"] = .string(published.archivePath)
            details["archive_bytes"] = .int(published.bytes)
            details["encrypted"] = .bool(published.encrypted)
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

    /// The archiver for `--copy-to-repo`: the repository (`--repo`, else `BACKUP_REPO`; the
    /// `BACKUP_MAX_RATE` cap) and the recipients (`--recipient` and the `BACKUP_RECIPIENTS` file).
    package func archiver(_ configuration: OpsConfiguration) throws -> SnapshotArchiver {
        let (text, setting) = options.repository.map { ($0, "--repo") } ?? (configuration.backupRepository, "BACKUP_REPO")
        do {
            var repositoryOptions = RepositoryOptions()
            if let rate = configuration.backupMaxRate {
                do { repositoryOptions.rateLimit = try RateLimit(parsing: rate) }
                catch let error as S3Error { throw OpsError(.configuration, "BACKUP_MAX_RATE: \(error.message)") }
            }
            let store = try Repositories.open(text, setting: setting, options: repositoryOptions)
            let recipients = try RepositoryEncryption.recipients(arguments: options.recipients, file: configuration.backupRecipientsFile)
            return SnapshotArchiver(repository: SnapshotRepository(store: store), recipients: recipients)
        } catch let error as RepositoryError {
            throw OpsError(exitCode: error.exitCode, error.message)
        }
    }
}
