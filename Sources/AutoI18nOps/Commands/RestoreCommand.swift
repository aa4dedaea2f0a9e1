import ArgumentParser
import Backup
import Foundation
import OpsCore
import OpsSupport

struct RestoreCommand: JobCommandType {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup (or a plain pg_dump .sql/.sql.gz/.sql.zst script) into --target-url, checksums verified first.",
        discussion: EnvironmentHelp.discussion("", EnvironmentHelp.repository, EnvironmentHelp.decryption, EnvironmentHelp.database, EnvironmentHelp.connections))
    static let jobName = "restore"
    static let commandPath = ["restore"]
    @OptionGroup var global: GlobalOptions
    @OptionGroup var jobOptions: JobOptions
    @OptionGroup var repository: RepositoryOptionGroup
    @Option(help: ArgumentHelp("age identity file for encrypted (.age) backups and scripts (default: $BACKUP_IDENTITY).", valueName: "file"))
    var identity: String?
    @Argument(help: "A backup id, 'latest' (default), an archive path or s3:// URL, or a plain .sql/.sql.gz/.sql.zst file (each optionally .age).") var source: String?
    @Option(help: ArgumentHelp("The database to restore into (URL or conninfo).", valueName: "url")) var targetURL: String
    @Option(help: "The database whose backups ID and 'latest' refer to (default: DATABASE_URL's, or the only one).") var database: String?
    @Flag(help: "Drop every non-system schema of the target first (with --table: only the selected tables).") var clean = false
    @Option(parsing: .unconditional, help: "Connections: load data, then build indexes and constraints, in parallel (archives only).") var jobs = 1
    @Option(name: .customLong("table"), help: ArgumentHelp("Restore only this table (schema.name): definition, rows, indexes, constraints, triggers. Repeatable.", valueName: "table"))
    var tables: [String] = []
    @Flag(help: "Run the whole restore in one transaction (all or nothing).") var singleTransaction = false
    @Flag(help: "With --jobs, load each table's rows in the source's physical order (slower for large tables).") var preserveRowOrder = false
    @Flag(help: "Leave out ALTER … OWNER TO: objects belong to the restoring role.") var noOwner = false
    @Flag(help: "Leave out GRANT/REVOKE and default privileges.") var noPrivileges = false
    @Option(help: ArgumentHelp("SET ROLE to this role before loading.", valueName: "role")) var role: String?
    @Flag(help: "First create the backup's roles that do not exist (its 0500-globals.sql.optional member).") var createRoles = false
    @Flag(help: "Create the --target-url database first, with the source's encoding, collation and owner.") var create = false
    @Flag(help: "Do not ANALYZE the restored tables at the end.") var noAnalyze = false
    @Flag(help: "Compress large values with the server's default_toast_compression even where that is the built-in pglz (by default restore sessions use lz4 then).")
    var keepToastCompression = false
    @Flag(help: "No progress line (terminal) or progress log lines (every 10 s otherwise).") var quiet = false

    func makeJob() throws -> any OpsJob {
        RestoreJob(source: source, database: database, targetURL: targetURL,
                   options: RestoreOptions(clean: clean, jobs: try NumberOption.int(jobs, "--jobs", range: NumberOption.connections), tables: tables,
                                           singleTransaction: singleTransaction, preserveRowOrder: preserveRowOrder, noOwner: noOwner,
                                           noPrivileges: noPrivileges, role: role, createRoles: createRoles, create: create, analyze: !noAnalyze,
                                           keepToastCompression: keepToastCompression,
                                           progress: ProgressMeter.defaultDisplay(quiet: quiet)),
                   settings: try repository.settings(identity: identity))
    }

    func summary(_ outcome: JobOutcome) -> String {
        let details = outcome.details
        return "restored \(details["source"]?.stringValue ?? "?") into \(details["target"]?.stringValue ?? "?"): "
            + "\(details["statements"]?.intValue ?? 0) statements, \(details["rows"]?.intValue ?? 0) rows in "
            + String(format: "%.1f s", details["duration_seconds"]?.doubleValue ?? 0)
    }
}
