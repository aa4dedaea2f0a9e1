import ArgumentParser
import OpsCore
import OpsSupport
import Snapshot

struct SnapshotCommand: JobCommandType {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Trigger a DragonflyDB/Redis snapshot (BGSAVE) and wait until it is proven saved.",
        discussion: EnvironmentHelp.discussion("""
            Exit 0 when a save that started after the trigger finished successfully, 1 when the save \
            failed, the server refused BGSAVE or --timeout passed, 2 for bad options, 3 when the server \
            is unreachable, refuses the password or goes away while saving.
            """, EnvironmentHelp.redis, EnvironmentHelp.database, EnvironmentHelp.repository, ["BACKUP_RECIPIENTS"]))
    static let jobName = "snapshot"
    static let commandPath = ["snapshot"]
    @OptionGroup var global: GlobalOptions
    @OptionGroup var jobOptions: JobOptions

    @Flag(inversion: .prefixedNo, help: "Wait until the save has finished and check its outcome (default); --no-wait returns once BGSAVE is accepted.")
    var wait = true

    @Option(help: ArgumentHelp("Limit for the whole run, e.g. 90s, 10m, 1h.", valueName: "duration"))
    var timeout = "10m"

    @Option(help: ArgumentHelp("DragonflyDB file format: df or rdb (Redis always writes rdb).", valueName: "df|rdb"))
    var format: String?

    @Flag(help: "Pack the snapshot's files into <repo>/dragonfly/<UTC time>.tar.zst[.age] with a SHA-256 manifest (the server's dir must be readable here).")
    var copyToRepo = false

    @Option(name: .customLong("repo"), help: ArgumentHelp("With --copy-to-repo: the repository, a directory or s3://bucket/prefix (default: $BACKUP_REPO).", valueName: "url"))
    var repo: String?

    @Option(name: .customLong("recipient"), help: ArgumentHelp("With --copy-to-repo: encrypt the copy to this age recipient (age1…), as .tar.zst.age. Repeatable; adds to $BACKUP_RECIPIENTS.", valueName: "age1…"))
    var recipients: [String] = []

    @Option(parsing: .unconditional, help: ArgumentHelp("With --copy-to-repo: keep the newest N copies.", valueName: "n")) var keepLast = 0
    @Option(parsing: .unconditional, help: ArgumentHelp("With --copy-to-repo: keep the newest copy of each of the last N days.", valueName: "n")) var keepDaily = 0
    @Option(parsing: .unconditional, help: ArgumentHelp("With --copy-to-repo: keep the newest copy of each of the last N ISO weeks.", valueName: "n")) var keepWeekly = 0
    @Option(parsing: .unconditional, help: ArgumentHelp("With --copy-to-repo: keep the newest copy of each of the last N months.", valueName: "n")) var keepMonthly = 0

    @Option(help: .hidden) var pollInterval = "200ms"

    var options: SnapshotOptions {
        get throws {
            let timeout = try DurationText.option(self.timeout, "--timeout", range: .milliseconds(1) ... .seconds(7 * 86_400))
            let pollInterval = try DurationText.option(self.pollInterval, "--poll-interval", range: .milliseconds(1) ... .seconds(60))
            var parsedFormat: SnapshotFormat?
            if let format {
                guard let value = SnapshotFormat(rawValue: format.lowercased()) else {
                    throw OpsError(.usage, "--format \(format) is not valid: use df or rdb")
                }
                parsedFormat = value
            }
            let retention = try GFSPolicy(keepLast: keepLast, keepDaily: keepDaily, keepWeekly: keepWeekly, keepMonthly: keepMonthly)
            let options = SnapshotOptions(wait: wait, timeout: timeout, format: parsedFormat, copyToRepository: copyToRepo,
                                          retention: retention, pollInterval: pollInterval, repository: repo, recipients: recipients)
            try options.validate()
            return options
        }
    }

    func makeJob() throws -> any OpsJob { SnapshotJob(options: try options) }

    func preflight(_ context: JobContext) throws {
        try Stores.validate(context.configuration, requireRedis: true)
    }

    func summary(_ outcome: JobOutcome) -> String {
        outcome.details["summary"]?.stringValue ?? outcome.details.jsonString(pretty: true)
    }
}
