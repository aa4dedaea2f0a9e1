import ArgumentParser
import Maintenance
import OpsCore
import Retention

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "The translation_stats materialized view.",
        subcommands: [StatsRefreshCommand.self])
}

struct StatsRefreshCommand: JobCommandType {
    static let configuration = CommandConfiguration(
        commandName: "refresh",
        abstract: "REFRESH MATERIALIZED VIEW CONCURRENTLY translation_stats (job stats-refresh).")
    static let jobName = "stats-refresh"
    static let commandPath = ["stats", "refresh"]
    @OptionGroup var global: GlobalOptions
    @OptionGroup var jobOptions: JobOptions

    func makeJob() throws -> any OpsJob { StatsRefreshJob() }

    func run() async throws {
        let context = try global.context(label: "stats")
        try Stores.validate(context.configuration)
        try await JobCommand.run(try makeJob(), context: context, options: jobOptions)
    }
}
