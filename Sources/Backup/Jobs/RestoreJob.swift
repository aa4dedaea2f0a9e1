import Foundation
import OpsCore
import OpsSupport
import PGClient

/// `restore [ID|latest|PATH] --target-url URL` as a job (name `restore`). Recorded in `DATABASE_URL`'s
/// `ops.job_runs` when that database is reachable and migrated; otherwise it runs unrecorded.
package struct RestoreJob: OpsJob {
    package let name = "restore"
    package var requiresHistory: Bool { false }
    /// `latest` (nil), a backup id, the path of an archive, or a plain `.sql[.gz|.zst]` script.
    package var source: String?
    package var database: String?
    package var targetURL: String
    package var options: RestoreOptions
    package var settings: RepositorySettings

    package init(source: String?, database: String?, targetURL: String, options: RestoreOptions, settings: RepositorySettings = RepositorySettings()) {
        self.settings = settings
        self.source = source
        self.database = database
        self.targetURL = targetURL
        self.options = options
    }

    package func run(_ context: JobContext) async throws -> JobOutcome {
        try await BackupError.mapped {
            let target: PostgresConfiguration
            do { target = try PostgresConfiguration(targetURL, connectTimeoutSeconds: context.configuration.connectTimeoutSeconds) }
            catch { throw Stores.opsError(error) }
            var options = options
            options.jobs = context.configuration.cappedConnections(options.jobs, logger: context.logger)
            let configuration = context.configuration
            // A missing or unreadable key file: one line, exit 2, before anything is read or touched.
            options.identities = try settings.identities(configuration)
            let restorer = Restorer(target: target, options: options, logger: context.logger)
            let clock = ContinuousClock()
            let start = clock.now
            let summary: Restorer.Summary
            let (settings, source, database) = (self.settings, self.source, self.database)
            if let source, BackupRepository.isObjectReference(source) || Restorer.isPlainScript(source) {
                // An archive or script named by path or s3:// URL.
                let object = try BackupRepository.object(source, options: try settings.repositoryOptions(configuration), identities: options.identities)
                if Restorer.isPlainScript(object.name) {
                    summary = try await restorer.restore(plain: object)
                } else {
                    // An archive copied out of the repository restores on its embedded manifest alone.
                    let beside = try? await BlockingIO.run(name: "restore-resolve") { try BackupRepository.besideManifest(object) }
                    summary = try await restorer.restore(archive: object, beside: beside?.manifest)
                }
            } else {
                let entry = try await BlockingIO.run(name: "restore-resolve") {
                    try settings.repository(configuration).resolve(source, database: BackupRepository.database(option: database, configuration: configuration))
                }
                summary = try await restorer.restore(archive: entry.object(identities: options.identities), beside: entry.manifest)
            }
            let elapsed = clock.now - start
            var details: [String: JSONValue] = [
                "source": .string(summary.source),
                "target": .string(target.redacted),
                "rows": .int(summary.rows),
                "statements": .int(Int64(summary.statements)),
                "duration_seconds": .double(elapsed.inSeconds),
            ]
            if let manifest = summary.manifest {
                details["id"] = .string(manifest.id)
                details["database"] = .string(manifest.database)
                details["tables"] = .int(Int64(summary.tables.count))
            }
            if !summary.notes.isEmpty { details["left_out"] = .array(summary.notes.map(JSONValue.string)) }
            return JobOutcome(details: .object(details))
        }
    }
}
