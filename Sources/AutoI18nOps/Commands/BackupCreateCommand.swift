import ArgumentParser
import Backup
import Foundation
import OpsCore
import OpsSupport

struct BackupCreateCommand: JobCommandType {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Back up the DATABASE_URL database into <repo>/<database>/<id>.tar.zst[.age] (plus <id>.manifest.json).",
        discussion: EnvironmentHelp.discussion("", EnvironmentHelp.database, EnvironmentHelp.repository, EnvironmentHelp.encryption, EnvironmentHelp.connections))
    static let jobName = "backup"
    static let commandPath = ["backup", "create"]
    @OptionGroup var global: GlobalOptions
    @OptionGroup var jobOptions: JobOptions
    @OptionGroup var repository: RepositoryOptionGroup
    @Option(name: .customLong("recipient"), help: ArgumentHelp("Encrypt the archive to this age recipient (age1…), as <id>.tar.zst.age. Repeatable; adds to $BACKUP_RECIPIENTS.", valueName: "age1…"))
    var recipients: [String] = []

    @Option(name: .customLong("exclude-table-data"), help: ArgumentHelp("Keep the table's definition but not its rows (pg_dump pattern: schema.table, * and ?). Repeatable.", valueName: "pattern"))
    var excludeTableData: [String] = []
    @Option(help: "zstd, gzip or none.") var compression: String = "zstd"
    @Option(parsing: .unconditional, help: "Compression level (zstd 1-19, default 3; gzip 0-9, default 6).") var level: Int?
    @Option(parsing: .unconditional, help: "Connections copying tables at once (default: number of cores, at most POSTGRES_MAX_CONNECTIONS).") var jobs: Int?
    @Option(help: ArgumentHelp("How long to wait for each table's lock before failing (e.g. 5s, 500ms; a bare number is seconds).", valueName: "duration"))
    var lockWaitTimeout = "5s"
    @Option(parsing: .unconditional, help: "zstd worker threads (default: number of cores, at most 2; 0 compresses on the archive-writing thread, using the least memory).") var compressionThreads: Int?
    @Flag(help: "No ALTER … OWNER TO statements.") var noOwner = false
    @Flag(help: "No GRANT/REVOKE statements.") var noPrivileges = false
    @Flag(help: "No progress line (terminal) or progress log lines (every 10 s otherwise).") var quiet = false

    func makeJob() throws -> any OpsJob {
        guard let kind = BackupOptions.Compression(rawValue: compression) else {
            throw OpsError(.usage, "--compression \(compression) is not valid: use zstd, gzip or none")
        }
        if let jobs { _ = try NumberOption.int(jobs, "--jobs", range: NumberOption.connections) }
        if let compressionThreads { _ = try NumberOption.int(compressionThreads, "--compression-threads", range: 0...64) }
        var options = BackupOptions(
            dump: DumpOptions(noOwner: noOwner, noPrivileges: noPrivileges, excludeTableData: excludeTableData),
            compression: kind, level: level, jobs: jobs ?? BackupOptions.defaultJobs, lockWaitTimeout: try DurationText.option(lockWaitTimeout, "--lock-wait-timeout", range: DurationText.postgresTimeoutRange).inSeconds,
            compressionThreads: compressionThreads ?? BackupOptions.defaultCompressionThreads)
        options.progress = ProgressMeter.defaultDisplay(quiet: quiet)
        do { try options.validate() } catch let error as BackupError { throw error.opsError }
        return BackupCreateJob(options: options, settings: try repository.settings(recipients: recipients))
    }

    func summary(_ outcome: JobOutcome) -> String {
        let details = outcome.details
        return "backup \(details["id"]?.stringValue ?? "?") of \(details["database"]?.stringValue ?? "?"): "
            + "\(details["tables"]?.intValue ?? 0) tables, \(details["rows"]?.intValue ?? 0) rows, "
            + "\(ByteCount.format(details["bytes"]?.intValue ?? 0)) in \(String(format: "%.1f", details["duration_seconds"]?.doubleValue ?? 0)) s\n"
            + "  \(details["path"]?.stringValue ?? "")"
    }
}
