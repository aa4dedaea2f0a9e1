import ArgumentParser
import DemoSeed
import OpsCore

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Demo data for a local stack.", subcommands: [Seed.self])

    struct Seed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Insert realistic demo sessions, files and batches (migrated database required), and demo cache keys when REDIS_URL is set.",
        discussion: EnvironmentHelp.discussion("", EnvironmentHelp.database, EnvironmentHelp.redis))
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let context = try global.context(label: "demo")
            let summary = try await DemoSeeder.seed(context.configuration, logger: context.logger)
            print("demo data: \(summary.sessions) sessions, \(summary.files) files, \(summary.batches) batches, \(summary.requests) batch requests")
            if let keys = summary.cacheKeys {
                print("demo cache: \(keys) keys (session:*, stats:*, api:response:*, translation:*, ratelimit:*, batch:queue)")
            }
        }
    }
}
