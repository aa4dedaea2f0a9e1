import ArgumentParser
import Backup
import OpsCore
import OpsSupport

struct BackupCopyCommand: JobCommandType {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy a complete backup, as stored, into another repository (local or s3://), checked on arrival, manifest last.",
        discussion: EnvironmentHelp.discussion("", EnvironmentHelp.repository, EnvironmentHelp.database))
    static let jobName = "backup-copy"
    static let commandPath = ["backup", "copy"]
    @OptionGroup var global: GlobalOptions
    @OptionGroup var jobOptions: JobOptions
    @OptionGroup var repository: RepositoryOptionGroup
    @Argument(help: "A backup id or 'latest' (default).") var backup: String?
    @Option(help: ArgumentHelp("The repository to copy into: a directory or s3://bucket/prefix.", valueName: "url")) var to: String
    @Option(help: "The database whose backups ID and 'latest' refer to (default: DATABASE_URL's, or the only one).") var database: String?
    @Flag(help: "No progress line (terminal) or progress log lines (every 10 s otherwise).") var quiet = false

    func makeJob() throws -> any OpsJob {
        let settings = try repository.settings()
        try RepositorySettings(repo: to).validate()
        return BackupCopyJob(backup: backup, database: database, destination: to, settings: settings,
                             progress: ProgressMeter.defaultDisplay(quiet: quiet))
    }

    func summary(_ outcome: JobOutcome) -> String {
        let details = outcome.details
        let verb = details["already_there"] == .bool(true) ? "already in" : "copied to"
        return "backup \(details["id"]?.stringValue ?? "?") of \(details["database"]?.stringValue ?? "?") \(verb) "
            + "\(details["to"]?.stringValue ?? "?") (\(ByteCount.format(details["bytes"]?.intValue ?? 0)), checksum verified)"
    }
}
