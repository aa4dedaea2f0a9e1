import ArgumentParser
import OpsCore
import OpsSupport
import Retention

struct RetentionCommand: JobCommandType {
    static let configuration = CommandConfiguration(
        commandName: "retention",
        abstract: "Delete expired sessions (with their jobs, files, batches) and archive finished batches.",
        discussion: EnvironmentHelp.discussion("""
            Sessions whose expires_at has passed are deleted in transactions of --batch-size sessions that \
            skip rows the application holds; their cache keys are deleted from the Redis server. Batches \
            finished more than BATCH_ARCHIVE_DAYS ago have their requests archived to \
            $ARCHIVE_REPO/batches/YYYY/MM/<batch_id>.tar.zst (.tar.zst.age when encrypted to the backup \
            recipients); ARCHIVE_REPO is a directory or s3://bucket/prefix, by default 'archive' beside \
            BACKUP_REPO. Exit 10: completed with warnings (e.g. the Redis server was down; the database \
            work is done).
            """, EnvironmentHelp.database, EnvironmentHelp.redis, ["ENABLE_CACHE", "SESSION_EXPIRY_DAYS", "BATCH_ARCHIVE_DAYS", "ARCHIVE_REPO"],
            EnvironmentHelp.repository, ["BACKUP_RECIPIENTS"]))
    static let jobName = "retention"
    static let commandPath = ["retention"]
    @OptionGroup var global: GlobalOptions
    @OptionGroup var jobOptions: JobOptions

    @Option(help: ArgumentHelp("Run only one policy: sessions or batches.", valueName: "policy"))
    var only: String?
    @Flag(help: "Count what would be deleted and archived; change nothing.")
    var dryRun = false
    @Option(parsing: .unconditional, help: "Sessions per transaction (also the page size for batches).")
    var batchSize = 1000
    @Option(help: ArgumentHelp("Start no new transaction after this long, e.g. 10m (default: until done).", valueName: "duration"))
    var maxRuntime: String?
    @Option(help: ArgumentHelp("lock_timeout of each transaction.", valueName: "duration"))
    var lockTimeout = "500ms"
    @Option(help: ArgumentHelp("statement_timeout of each transaction.", valueName: "duration"))
    var statementTimeout = "30s"
    @Option(help: ArgumentHelp("VACUUM the tables the run deleted from: auto (those it deleted at least 10000 rows and 1% of the rows from), always or never.", valueName: "when"))
    var vacuum = "auto"
    @Option(parsing: .unconditional, help: ArgumentHelp("Also delete batch rows archived more than DAYS days ago (default: keep them).", valueName: "days"))
    var deleteArchivedBatchesAfter: Int?
    @Option(name: .customLong("recipient"), help: ArgumentHelp("Encrypt batch archives to this age recipient (age1…), as .tar.zst.age. Repeatable; adds to $BACKUP_RECIPIENTS.", valueName: "age1…"))
    var recipients: [String] = []

    func makeJob() throws -> any OpsJob { RetentionJob(options: try retentionOptions()) }

    /// The options, parsed and range-checked (exit 2 on bad input).
    func retentionOptions() throws -> RetentionOptions {
        var options = RetentionOptions()
        if let only {
            guard let scope = RetentionOptions.Scope(rawValue: only), scope != .all else {
                throw OpsError(.usage, "--only \(only) is not valid: use sessions or batches")
            }
            options.scope = scope
        }
        options.dryRun = dryRun
        options.batchSize = batchSize
        options.maxRuntime = try maxRuntime.map { try DurationText.option($0, "--max-runtime") }
        options.lockTimeout = try DurationText.option(lockTimeout, "--lock-timeout", range: DurationText.postgresTimeoutRange)
        options.statementTimeout = try DurationText.option(statementTimeout, "--statement-timeout", range: DurationText.postgresTimeoutRange)
        options.deleteArchivedBatchesAfterDays = deleteArchivedBatchesAfter
        options.recipients = recipients
        guard let policy = VacuumPolicy(rawValue: vacuum) else {
            throw OpsError(.usage, "--vacuum \(vacuum) is not valid: use auto, always or never")
        }
        options.vacuum = policy
        return try options.validate()
    }

    func preflight(_ context: JobContext) throws {
        try Stores.validate(context.configuration)
        try RetentionJob.preflight(context.configuration, options: try retentionOptions())
    }

    func summary(_ outcome: JobOutcome) -> String { RetentionReport.summary(outcome.details) }
}
