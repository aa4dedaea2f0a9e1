import ArgumentParser
import OpsCore
import Retention

struct BatchesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batches", abstract: "Archived OpenAI batches.",
        subcommands: [BatchesUnarchiveCommand.self])
}

struct BatchesUnarchiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unarchive",
        abstract: "Restore an archived batch's requests exactly from its archive, then clear archived_at.",
        discussion: EnvironmentHelp.discussion("""
            Follows the batch's archive_uri (file:///… or s3://bucket/key; S3 with the AWS_* settings). \
            Verifies the archive's SHA-256 against batches.archive_sha256 first and changes nothing when the \
            archive is missing or corrupt. An encrypted archive (.age) is decrypted with --identity or \
            BACKUP_IDENTITY. The archive is kept. The next retention run archives the batch again if it is \
            still older than BATCH_ARCHIVE_DAYS.
            """, EnvironmentHelp.database, ["BACKUP_IDENTITY", "ARCHIVE_REPO"], EnvironmentHelp.repository))
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The batch's batch_id.") var batchID: String
    @Option(help: ArgumentHelp("An age identity file (as age -i reads it) for an encrypted archive (default: $BACKUP_IDENTITY).", valueName: "file"))
    var identity: String?

    func run() async throws {
        let context = try global.context(label: "batches")
        try Stores.validate(context.configuration)
        let result = try await BatchUnarchiver(configuration: context.configuration, logger: context.logger, identityFile: identity)
            .unarchive(batchID: batchID)
        print("unarchived batch \(result.batchID): \(result.rows) requests restored from \(result.archivePath)")
    }
}
