import ArgumentParser

struct CacheCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache", abstract: "Look at the DragonflyDB/Redis cache.", subcommands: [CacheStatsCommand.self])
}
