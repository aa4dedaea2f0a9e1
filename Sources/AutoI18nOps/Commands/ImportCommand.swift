import ArgumentParser
import Foundation
import LegacyImport
import OpsCore
import OpsSupport

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import data from outside the database.",
        subcommands: [ImportLegacyCommand.self])
}

/// `import legacy DIR`: not a `JobProducing` command on purpose (a one-off migration is not scheduled).
struct ImportLegacyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "legacy",
        abstract: "Import the service's legacy tmp/ tree (sessions, jobs, files, batches) into PostgreSQL.",
        discussion: EnvironmentHelp.discussion("""
            One transaction per session: a session that cannot be imported is rolled back whole and \
            reported with the file (and line) and the reason; the run goes on. Idempotent: a second \
            run writes nothing. Sessions without expiresAt expire SESSION_EXPIRY_DAYS after createdAt; \
            expired ones are skipped unless --include-expired. Exit 0: everything imported; 10: some \
            sessions refused; 1: --verify found differences; 2: DIR is not such a tree; 75: another \
            import is running.
            """, EnvironmentHelp.database, EnvironmentHelp.connections, ["SESSION_EXPIRY_DAYS"]))
    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The service's tmp/ folder.", valueName: "dir"))
    var directory: String

    @Flag(help: "Validate and stage everything, report what would change, then roll back: nothing is written.")
    var dryRun = false
    @Flag(help: "Compare the tree with the database (every file's SHA-256, every request's presence and status); exit 1 listing differences.")
    var verify = false
    @Option(name: .customLong("sender"), help: ArgumentHelp("Only this sender's session (repeatable).", valueName: "id"))
    var senders: [String] = []
    @Flag(help: "Also import sessions whose expiry has passed (retention would delete them at its next run).")
    var includeExpired = false
    @Option(help: ArgumentHelp("Sessions imported in parallel, each over its own connection (1-32).", valueName: "n"))
    var jobs = 1
    @Flag(help: "Print the report as JSON on stdout.")
    var json = false
    @Flag(help: "No progress line (terminal) or progress log lines.")
    var quiet = false

    func options() throws -> LegacyImportOptions {
        guard !(dryRun && verify) else { throw OpsError(.usage, "--dry-run and --verify cannot be combined: --verify never writes") }
        var options = LegacyImportOptions(directory: directory)
        options.mode = verify ? .verify : dryRun ? .dryRun : .apply
        options.senders = senders
        options.includeExpired = includeExpired
        options.jobs = jobs
        options.progress = ImportProgress.defaultDisplay(quiet: quiet)
        return try options.validate()
    }

    func run() async throws {
        let options = try options()
        let context = try global.context(label: "import")
        try Stores.validate(context.configuration)
        // DIR is checked before the run starts, so a wrong path is exit 2 without touching the database.
        _ = try LegacyTree.open(options.directory, only: options.senders)
        let report = await JobRunner(context: context).run(LegacyImportJob(options: options))
        await report.notification?.value
        JobCommand.printReport(report, json: json) { ImportReport.summary($0.details) }
        switch report.status {
        case .succeeded, .running:
            return
        case .warning:
            throw ArgumentParser.ExitCode(ExitCode.warning)
        case .failed where report.outcome != nil:
            // --verify found differences: the report above lists them.
            if !json { FileHandle.standardError.write(Data("auto-i18n-ops: verify found differences between the tree and the database\n".utf8)) }
            throw ArgumentParser.ExitCode(ExitCode.failure)
        case .skipped, .failed, .interrupted:
            if let error = report.error as? OpsError { throw error }
            throw OpsError(.jobFailed, "import failed: \(report.error.map { String(describing: $0) } ?? "unknown error")")
        }
    }
}
