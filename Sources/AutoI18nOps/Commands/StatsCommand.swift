import ArgumentParser
import Maintenance
import OpsCore
import OpsSupport

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "The translation_stats materialized view.",
        subcommands: [StatsRefreshCommand.self])
}

struct StatsRefreshCommand: JobCommandType {
    static let configuration = CommandConfiguration(
        commandName: "refresh",
        abstract: "REFRESH MATERIALIZED VIEW CONCURRENTLY translation_stats (job stats-refresh).",
        discussion: EnvironmentHelp.discussion("", EnvironmentHelp.database))
    static let jobName = "stats-refresh"
    static let commandPath = ["stats", "refresh"]
    @OptionGroup var global: GlobalOptions
    @OptionGroup var jobOptions: JobOptions

    func makeJob() throws -> any OpsJob { StatsRefreshJob() }

    func preflight(_ context: JobContext) throws {
        try Stores.validate(context.configuration)
    }

    /// `translation_stats refreshed (concurrently): 2 rows in 95 ms`; `--json` prints the details instead.
    func summary(_ outcome: JobOutcome) -> String {
        let details = outcome.details
        let how = details["concurrent"]?.boolValue == false ? "(first population, not concurrently)" : "(concurrently)"
        return "translation_stats refreshed \(how): \(details["rows"]?.intValue ?? 0) rows in "
            + DurationText.format(seconds: details["duration_seconds"]?.doubleValue ?? 0)
    }
}
