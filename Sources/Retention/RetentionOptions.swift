import Foundation
import OpsCore

/// What one `retention` run does and how gently it does it (README, "Retention").
package struct RetentionOptions: Sendable {
    /// Which policies run: both, or only one of them (`--only`).
    package enum Scope: String, Sendable, CaseIterable {
        case all, sessions, batches
    }

    package var scope: Scope = .all
    /// Count what would be deleted and archived, change nothing (`--dry-run`).
    package var dryRun = false
    /// Sessions per transaction (`--batch-size`, 1000); also the page size of batch archival and cleanup.
    package var batchSize = 1000
    /// Stop starting new transactions after this long (`--max-runtime`); nil: until done.
    package var maxRuntime: Duration?
    /// `SET LOCAL lock_timeout` of every transaction (`--lock-timeout`). Below PostgreSQL's default
    /// `deadlock_timeout` (1 s), so in a lock cycle with the application it is retention that gives up.
    package var lockTimeout: Duration = .milliseconds(500)
    /// `SET LOCAL statement_timeout` of every transaction (`--statement-timeout`).
    package var statementTimeout: Duration = .seconds(30)
    /// VACUUM the tables a run deleted many rows from (`--vacuum`, auto).
    package var vacuum: VacuumPolicy = .auto
    /// When vacuuming, this many oldest expired sessions are deleted after the VACUUM (`DeletionVacuum`).
    /// Not an option: tests make it small.
    var vacuumTailSessions = DeletionVacuum.tailSessions
    /// `--recipient age1…` values: batch archives are encrypted to them and to the `BACKUP_RECIPIENTS`
    /// file's recipients (none: plain archives).
    package var recipients: [String] = []
    /// Delete batch rows archived more than this many days ago (`--delete-archived-batches-after`); nil: keep.
    package var deleteArchivedBatchesAfterDays: Int?
    /// The instant the policies are measured against; nil means the database's `now()`. Tests set it to
    /// place rows exactly on a boundary; the command line never does.
    package var referenceTime: Date?

    package init() {}

    /// Checks the values a user can get wrong, as one-line usage errors.
    package func validate() throws -> RetentionOptions {
        guard (1...100_000).contains(batchSize) else {
            throw OpsError(.usage, "--batch-size \(batchSize) is not valid: use a whole number from 1 to 100000")
        }
        if let days = deleteArchivedBatchesAfterDays, days < 0 {
            throw OpsError(.usage, "--delete-archived-batches-after \(days) is not valid: use a number of days >= 0")
        }
        guard lockTimeout > .zero, statementTimeout > .zero else {
            throw OpsError(.usage, "--lock-timeout and --statement-timeout must be greater than 0")
        }
        return self
    }
}
