import OpsCore
import OpsSupport

/// `backup verify [ID|latest] [--restore-test]` as a job (name `backup-verify`).
package struct BackupVerifyJob: OpsJob {
    package let name = "backup-verify"
    package var requiresHistory: Bool { false }
    package var backup: String?
    package var database: String?
    package var restoreTest: Bool
    package var jobs: Int
    package var progress: ProgressMeter.Display

    package init(backup: String?, database: String?, restoreTest: Bool, jobs: Int = 1, progress: ProgressMeter.Display = .none) {
        self.backup = backup
        self.database = database
        self.restoreTest = restoreTest
        self.jobs = jobs
        self.progress = progress
    }

    package func run(_ context: JobContext) async throws -> JobOutcome {
        try await BackupError.mapped {
            let repository = BackupRepository(root: context.configuration.backupRepository)
            let entry = try repository.resolveAny(backup, database: BackupRepository.database(option: database, configuration: context.configuration))
            let report = try await BackupVerifier(configuration: context.configuration, logger: context.logger,
                                                    jobs: context.configuration.cappedConnections(jobs, logger: context.logger), progress: progress)
                .verify(entry, restoreTest: restoreTest)
            return JobOutcome(details: [
                "id": .string(report.id),
                "database": .string(entry.database),
                "members": .int(Int64(report.members)),
                "bytes": .int(report.bytes),
                "rows": .int(report.rows),
                "restore_test": .bool(report.restoreTested),
                "tables_compared": .int(Int64(report.tablesCompared)),
                "path": .string(entry.archivePath),
            ])
        }
    }
}
