import OpsCore
import Repository
import OpsSupport
import PGClient

/// `backup create` as a job (name `backup`): recorded in `ops.job_runs` when the database has the
/// `ops` schema, and run unrecorded otherwise, since any PostgreSQL database can be backed up.
package struct BackupCreateJob: OpsJob {
    package let name = "backup"
    package var requiresHistory: Bool { false }
    package var options: BackupOptions
    package var settings: RepositorySettings

    package init(options: BackupOptions, settings: RepositorySettings = RepositorySettings()) {
        self.options = options
        self.settings = settings
    }

    package func run(_ context: JobContext) async throws -> JobOutcome {
        try await BackupError.mapped {
            let repository = try settings.repository(context.configuration)
            var options = options
            options.recipients = try settings.recipients(context.configuration)
            options.jobs = context.configuration.cappedConnections(options.jobs, logger: context.logger)
            if !options.chunkBytesGiven {
                options.chunkBytes = BackupOptions.defaultChunkBytes(jobs: options.jobs, objectStorage: repository.store.url.isS3)
            }
            let creator = BackupCreator(configuration: context.configuration, repository: repository, options: options, logger: context.logger)
            let result = try await creator.create()
            return JobOutcome(details: [
                "id": .string(result.manifest.id),
                "database": .string(result.manifest.database),
                "bytes": .int(result.archiveBytes),
                "uncompressed_bytes": .int(result.manifest.totalBytes),
                "duration_seconds": .double(result.manifest.durationSeconds),
                "tables": .int(Int64(result.manifest.tables.count)),
                "rows": .int(result.manifest.totalRows),
                "path": .string(result.archivePath),
                "encrypted": .bool(options.recipients != nil),
            ])
        }
    }
}

extension BackupRepository {
    /// The database `backup list/verify/prune` and `restore ID` refer to: `--database`, else the one
    /// `DATABASE_URL` names, else (nil) the only one in the repository.
    package static func database(option: String?, configuration: OpsConfiguration) -> String? {
        if let option { return option }
        guard configuration.databaseURL != nil, let target = try? Stores.postgresTarget(configuration) else { return nil }
        return target.database
    }
}
