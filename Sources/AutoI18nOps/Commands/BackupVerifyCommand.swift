import ArgumentParser
import Backup
import OpsCore
import OpsSupport

struct BackupVerifyCommand: JobCommandType {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a backup's structure and every checksum; --restore-test also restores it into a scratch database.",
        discussion: EnvironmentHelp.discussion("", EnvironmentHelp.repository, EnvironmentHelp.decryption, EnvironmentHelp.database, EnvironmentHelp.connections))
    static let jobName = "backup-verify"
    static let commandPath = ["backup", "verify"]
    @OptionGroup var global: GlobalOptions
    @OptionGroup var jobOptions: JobOptions
    @OptionGroup var repository: RepositoryOptionGroup
    @Option(help: ArgumentHelp("age identity file for encrypted backups (default: $BACKUP_IDENTITY); without it an encrypted backup is checked as stored.", valueName: "file"))
    var identity: String?
    @Argument(help: "A backup id, 'latest' (default), an archive path or s3:// URL.") var backup: String?
    @Option(help: "The database whose backups ID and 'latest' refer to (default: DATABASE_URL's).") var database: String?
    @Flag(help: "Restore into ops_verify_<id> on the DATABASE_URL server, compare row counts with the manifest, drop it.") var restoreTest = false
    @Option(parsing: .unconditional, help: "Connections for the restore test.") var jobs = 1
    @Flag(help: "No progress line (terminal) or progress log lines (every 10 s otherwise).") var quiet = false

    func makeJob() throws -> any OpsJob {
        BackupVerifyJob(backup: backup, database: database, restoreTest: restoreTest,
                        jobs: try NumberOption.int(jobs, "--jobs", range: NumberOption.connections),
                        progress: ProgressMeter.defaultDisplay(quiet: quiet),
                        settings: try repository.settings(identity: identity))
    }

    func summary(_ outcome: JobOutcome) -> String {
        let details = outcome.details
        if details["stored_object_only"] == .bool(true) {
            return "backup \(details["id"]?.stringValue ?? "?") is intact as stored: the encrypted object matches its SHA-256 (pass --identity to check every member)"
        }
        var line = "backup \(details["id"]?.stringValue ?? "?") is intact: \(details["members"]?.intValue ?? 0) members, every checksum matches"
        if details["restore_test"] == .bool(true) {
            line += "; restore test passed (\(details["tables_compared"]?.intValue ?? 0) tables, \(details["rows"]?.intValue ?? 0) rows)"
        }
        return line
    }
}
