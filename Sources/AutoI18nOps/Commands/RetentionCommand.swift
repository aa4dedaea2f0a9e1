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
            $BACKUP_REPO/archive/batches/YYYY/MM/<batch_id>.tar.zst. Exit 10: completed with warnings \
            (e.g. the Redis server was down; the database work is done).
            """, EnvironmentHelp.database, EnvironmentHelp.redis, ["ENABLE_CACHE", "SESSION_EXPIRY_DAYS", "BATCH_ARCHIVE_DAYS"], EnvironmentHelp.repository))
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

    func makeJob() throws -> any OpsJob {
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
        guard let policy = VacuumPolicy(rawValue: vacuum) else {
            throw OpsError(.usage, "--vacuum \(vacuum) is not valid: use auto, always or never")
        }
        options.vacuum = policy
        return RetentionJob(options: try options.validate())
    }

    func preflight(_ context: JobContext) throws {
        try Stores.validate(context.configuration)
    }

    func summary(_ outcome: JobOutcome) -> String { RetentionReport.summary(outcome.details) }
}
