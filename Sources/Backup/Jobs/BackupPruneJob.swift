import ArchiveIO
import Logging
import OpsCore
import OpsSupport

/// `backup prune` as a job (name `backup-prune`): applies `PrunePolicy` to one database's backups.
package struct BackupPruneJob: OpsJob {
    package let name = "backup-prune"
    package var requiresHistory: Bool { false }
    package var policy: PrunePolicy
    package var database: String?
    package var dryRun: Bool
    package var settings: RepositorySettings

    package init(policy: PrunePolicy, database: String?, dryRun: Bool, settings: RepositorySettings = RepositorySettings()) {
        self.settings = settings
        self.policy = policy
        self.database = database
        self.dryRun = dryRun
    }

    package func run(_ context: JobContext) async throws -> JobOutcome {
        let (policy, requested, dryRun, configuration, logger, settings) = (self.policy, self.database, self.dryRun, context.configuration, context.logger, self.settings)
        // Reading manifests and unlinking archives block: run the whole pass on a blocking-I/O thread.
        return try await BackupError.mapped { try await BlockingIO.run(name: "backup-prune") {
            try policy.validate()
            let repository = try settings.repository(configuration)
            var database = BackupRepository.database(option: requested, configuration: configuration)
            if database == nil {
                let names = try repository.databases()
                guard names.count == 1 else {
                    throw BackupError(.usage, names.isEmpty ? "no backups in \(repository.root)" : "\(repository.root) holds backups of several databases; pass --database NAME")
                }
                database = names[0]
            }
            let entries = try repository.list(database: database)
            let byID = Dictionary(entries.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            let decisions = policy.decide(entries.map {
                PrunePolicy.Candidate(id: $0.id, date: $0.date, verified: $0.verification != nil)
            })
            var kept: [JSONValue] = [], deleted: [JSONValue] = []
            for decision in decisions {
                if decision.keep {
                    kept.append(["id": .string(decision.id), "reasons": .array(decision.reasons.map { .string($0) })])
                } else {
                    if !dryRun, let entry = byID[decision.id] { try repository.delete(entry) }
                    deleted.append(.string(decision.id))
                }
            }
            logger.info("pruned", metadata: ["kept": "\(kept.count)", "deleted": "\(deleted.count)", "dry_run": "\(dryRun)"])
            return JobOutcome(details: [
                "database": .string(database ?? ""), "dry_run": .bool(dryRun),
                "kept": .array(kept), "deleted": .array(deleted),
            ])
        } }
    }
}
