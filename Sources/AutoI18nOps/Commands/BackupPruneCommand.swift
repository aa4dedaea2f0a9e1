import ArgumentParser
import Backup
import OpsCore
import OpsSupport

struct BackupPruneCommand: JobCommandType {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete backups outside a grandfather-father-son policy; never the newest verified one.",
        discussion: EnvironmentHelp.discussion("", EnvironmentHelp.repository, EnvironmentHelp.database))
    static let jobName = "backup-prune"
    static let commandPath = ["backup", "prune"]
    @OptionGroup var global: GlobalOptions
    @OptionGroup var jobOptions: JobOptions
    @OptionGroup var repository: RepositoryOptionGroup
    @Option(parsing: .unconditional, help: "Keep the newest N backups.") var keepLast = 0
    @Option(parsing: .unconditional, help: "Keep the newest backup of each of the last N days with backups.") var keepDaily = 0
    @Option(parsing: .unconditional, help: "Keep the newest backup of each of the last N ISO weeks with backups.") var keepWeekly = 0
    @Option(parsing: .unconditional, help: "Keep the newest backup of each of the last N months with backups.") var keepMonthly = 0
    @Option(help: "The database whose backups to prune (default: DATABASE_URL's, or the only one).") var database: String?
    @Flag(help: "Only say what would be deleted.") var dryRun = false

    func makeJob() throws -> any OpsJob {
        let policy = PrunePolicy(keepLast: keepLast, keepDaily: keepDaily, keepWeekly: keepWeekly, keepMonthly: keepMonthly)
        do { try policy.validate() } catch let error as BackupError { throw error.opsError }
        return BackupPruneJob(policy: policy, database: database, dryRun: dryRun, settings: try repository.settings())
    }

    func summary(_ outcome: JobOutcome) -> String {
        let details = outcome.details
        let dryRun = details["dry_run"] == .bool(true)
        var lines: [String] = []
        if case .array(let kept)? = details["kept"] {
            for item in kept {
                let reasons: [String]
                if case .array(let values)? = item["reasons"] { reasons = values.compactMap(\.stringValue) } else { reasons = [] }
                lines.append("keep    \(item["id"]?.stringValue ?? "?")  (\(reasons.joined(separator: ", ")))")
            }
        }
        if case .array(let deleted)? = details["deleted"] {
            for item in deleted { lines.append("\(dryRun ? "would delete" : "deleted")  \(item.stringValue ?? "?")") }
        }
        return lines.isEmpty ? "no backups" : lines.joined(separator: "\n")
    }
}
