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

    package init(source: String?, database: String?, targetURL: String, options: RestoreOptions) {
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
            let restorer = Restorer(target: target, options: options, logger: context.logger)
            let clock = ContinuousClock()
            let start = clock.now
            let summary: Restorer.Summary
            if let source, Restorer.isPlainScript(source) {
                summary = try await restorer.restore(plain: source)
            } else if let source, source.contains("/"), FileManager.default.fileExists(atPath: source) {
                // An archive copied out of the repository restores on its embedded manifest alone.
                let entry = try? BackupRepository(root: ".").resolve(source, database: nil)
                summary = try await restorer.restore(archive: source, beside: entry?.manifest)
            } else if let source, BackupRepository.archiveExtensions.contains(where: { source.hasSuffix(".\($0)") }),
                      FileManager.default.fileExists(atPath: source) {
                summary = try await restorer.restore(archive: source, beside: nil)
            } else {
                let repository = BackupRepository(root: context.configuration.backupRepository)
                let entry = try repository.resolve(source, database: BackupRepository.database(option: database, configuration: context.configuration))
                summary = try await restorer.restore(archive: entry.archivePath, beside: entry.manifest)
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
