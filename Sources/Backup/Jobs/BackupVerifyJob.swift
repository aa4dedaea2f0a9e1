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
    package var settings: RepositorySettings

    package init(backup: String?, database: String?, restoreTest: Bool, jobs: Int = 1, progress: ProgressMeter.Display = .none,
                 settings: RepositorySettings = RepositorySettings()) {
        self.settings = settings
        self.backup = backup
        self.database = database
        self.restoreTest = restoreTest
        self.jobs = jobs
        self.progress = progress
    }

    package func run(_ context: JobContext) async throws -> JobOutcome {
        try await BackupError.mapped {
            let configuration = context.configuration
            let (settings, backup, database) = (self.settings, self.backup, self.database)
            let identities = try settings.identities(configuration)
            let entry = try await BlockingIO.run(name: "backup-resolve") {
                try settings.repository(configuration).resolveAny(backup, database: BackupRepository.database(option: database, configuration: configuration),
                                                                  options: try settings.repositoryOptions(configuration))
            }
            let report = try await BackupVerifier(configuration: configuration, logger: context.logger,
                                                    jobs: configuration.cappedConnections(jobs, logger: context.logger), progress: progress, identities: identities)
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
                "stored_object_only": .bool(report.storedObjectOnly),
            ])
        }
    }
}
