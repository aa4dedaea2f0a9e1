import ArgumentParser
import Cache
import OpsCore
import OpsSupport
import Snapshot

struct CacheStatsCommand: JobCommandType {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Keys per family (SCAN, bounded in time), batch:queue length, memory, evictions, hit ratio.",
        discussion: EnvironmentHelp.discussion("Exit 0 when the scan completed, 10 when --max-time cut it short (counts partial), 3 when the server is unreachable or refuses the password.", EnvironmentHelp.redis, EnvironmentHelp.database))
    static let jobName = "cache-stats"
    static let commandPath = ["cache", "stats"]
    @OptionGroup var global: GlobalOptions
    @OptionGroup var jobOptions: JobOptions

    @Option(help: ArgumentHelp("Stop scanning after this long and report partial counts, e.g. 10s.", valueName: "duration"))
    var maxTime = "10s"

    @Option(parsing: .unconditional, help: ArgumentHelp("The COUNT hint of each SCAN call.", valueName: "n"))
    var scanCount = 1000

    func makeJob() throws -> any OpsJob {
        let maxTime = try DurationText.option(self.maxTime, "--max-time", range: .milliseconds(1) ... .seconds(86_400))
        guard (1...1_000_000).contains(scanCount) else {
            throw OpsError(.usage, "--scan-count \(scanCount) is not valid: use a number from 1 to 1000000")
        }
        return CacheStatsJob(scanner: CacheKeyScanner(maxTime: maxTime, count: scanCount))
    }

    func preflight(_ context: JobContext) throws {
        // Only the Redis URL must be valid (and is checked before the job's lock): the job runs
        // (unrecorded) without PostgreSQL.
        try Stores.validateRedis(context.configuration)
    }

    func summary(_ outcome: JobOutcome) -> String { CacheStats.table(outcome.details) }
}
