import OpsCore
import Repository

/// The file format Dragonfly writes: `DF` (its own, one summary file plus one file per shard) or `RDB`
/// (one Redis-compatible file). Redis always writes RDB and is never sent the argument.
package enum SnapshotFormat: String, Sendable, Hashable, CaseIterable {
    case df, rdb

    /// The `BGSAVE` argument Dragonfly takes.
    var argument: String { rawValue.uppercased() }
}

/// How `snapshot` runs (README, "snapshot").
package struct SnapshotOptions: Sendable {
    /// Wait until a save that started after the trigger has finished (default); otherwise return as
    /// soon as the server has accepted the `BGSAVE`.
    package var wait: Bool
    /// Limit for the whole run: connecting, waiting for a running save, loading retries and our save.
    package var timeout: Duration
    /// Passed to Dragonfly's `BGSAVE`; `nil` leaves the server's default.
    package var format: SnapshotFormat?
    /// Pack the snapshot's files into `dragonfly/` of the backup repository (needs `wait`).
    package var copyToRepository: Bool
    /// `--repo`: the backup repository (a directory or `s3://bucket/prefix`); nil: `$BACKUP_REPO`.
    package var repository: String?
    /// `--recipient age1…` values: copies are encrypted to them and to the `BACKUP_RECIPIENTS` file's.
    package var recipients: [String]
    /// Pruning of `$BACKUP_REPO/dragonfly/` after a copy (only with `copyToRepository`).
    package var retention: GFSPolicy
    /// How often `INFO PERSISTENCE` is polled while a save runs.
    package var pollInterval: Duration

    package init(wait: Bool = true, timeout: Duration = .seconds(600), format: SnapshotFormat? = nil,
                copyToRepository: Bool = false, retention: GFSPolicy? = nil, pollInterval: Duration = .milliseconds(200),
                repository: String? = nil, recipients: [String] = []) {
        self.repository = repository
        self.recipients = recipients
        self.wait = wait
        self.timeout = timeout
        self.format = format
        self.copyToRepository = copyToRepository
        self.retention = retention ?? (try! GFSPolicy())
        self.pollInterval = pollInterval
    }

    /// Rejects combinations that cannot work, as a usage error (exit 2).
    package func validate() throws {
        if copyToRepository && !wait {
            throw OpsError(.usage, "--copy-to-repo needs --wait: only a finished snapshot can be copied")
        }
        if !retention.isEmpty && !copyToRepository {
            throw OpsError(.usage, "--keep-last/--keep-daily/--keep-weekly/--keep-monthly prune copies in the repository's dragonfly/ and need --copy-to-repo")
        }
        if timeout <= .zero { throw OpsError(.usage, "--timeout must be positive") }
        if (repository != nil || !recipients.isEmpty) && !copyToRepository {
            throw OpsError(.usage, "--repo and --recipient say where and how to copy the snapshot and need --copy-to-repo")
        }
        if let repository {
            do { _ = try RepositoryURL(parsing: repository, setting: "--repo") }
            catch let error as RepositoryError { throw OpsError(exitCode: error.exitCode, error.message) }
        }
    }
}
