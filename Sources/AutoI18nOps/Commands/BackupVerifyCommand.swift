import ArgumentParser
import Backup
import OpsCore
import OpsSupport

struct BackupVerifyCommand: JobCommandType {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a backup's structure and every checksum; --restore-test also restores it into a scratch database.",
        discussion: EnvironmentHelp.discussion("", EnvironmentHelp.repository, EnvironmentHelp.database, EnvironmentHelp.connections))
    static let jobName = "backup-verify"
    static let commandPath = ["backup", "verify"]
    @OptionGroup var global: GlobalOptions
    @OptionGroup var jobOptions: JobOptions
    @Argument(help: "A backup id, 'latest' (default) or an archive path.") var backup: String?
    @Option(help: "The database whose backups ID and 'latest' refer to (default: DATABASE_URL's).") var database: String?
    @Flag(help: "Restore into ops_verify_<id> on the DATABASE_URL server, compare row counts with the manifest, drop it.") var restoreTest = false
    @Option(parsing: .unconditional, help: "Connections for the restore test.") var jobs = 1
    @Flag(help: "No progress line (terminal) or progress log lines (every 10 s otherwise).") var quiet = false

    func makeJob() throws -> any OpsJob {
        BackupVerifyJob(backup: backup, database: database, restoreTest: restoreTest,
                        jobs: try NumberOption.int(jobs, "--jobs", range: NumberOption.connections),
                        progress: ProgressMeter.defaultDisplay(quiet: quiet))
    }

    func summary(_ outcome: JobOutcome) -> String {
        let details = outcome.details
        var line = "backup \(details["id"]?.stringValue ?? "?") is intact: \(details["members"]?.intValue ?? 0) members, every checksum matches"
        if details["restore_test"] == .bool(true) {
            line += "; restore test passed (\(details["tables_compared"]?.intValue ?? 0) tables, \(details["rows"]?.intValue ?? 0) rows)"
        }
        return line
    }
}
