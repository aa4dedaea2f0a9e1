import ArgumentParser
import Foundation
import OpsCore
import Scheduler

struct ScheduleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Validate a schedule file and show when cron expressions fire.",
        subcommands: [Check.self, Next.self, ScheduleSleepCommand.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a schedule file and print each line's next 5 fire times.",
            discussion: "Exit 0 when valid; 2 with one line naming the file, line, field and reason otherwise.")

        @OptionGroup var logging: LoggingOptions

        @Argument(help: ArgumentHelp("The schedule file (default: \(InstallLayout.defaultsHelp(\.scheduleFile))).", valueName: "file"))
        var file: String?

        @Option(parsing: .unconditional, help: "How many fire times to print per line (1-10000).")
        var count = 5

        func run() async throws {
            try logging.bootstrapLogging()
            let count = try NumberOption.int(count, "--count", range: NumberOption.fireTimes)
            let file = try self.file ?? InstallLayout.current().scheduleFile
            let schedule = try Schedule.load(path: file, catalog: CommandJobCatalog())
            let now = Date()
            print("\(file): \(schedule.items.count) job line(s), valid")
            for item in schedule.items {
                let entry = item.entry
                let words = ([entry.expression.description] + entry.options.map { "\($0.name)=\($0.value)" } + [entry.job] + entry.arguments)
                print("\nline \(entry.line): \(words.joined(separator: " "))  (\(entry.timeZone.identifier))")
                // Streamed: one line per fire time as it is found, nothing accumulated.
                var from = now
                for _ in 0..<count {
                    guard let date = entry.expression.next(after: from, in: entry.timeZone) else { break }
                    print("  \(TimeText.iso8601(date, in: entry.timeZone))")
                    from = date
                }
            }
        }
    }

    struct Next: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the next fire times of a cron expression, one ISO 8601 time with offset per line.",
            discussion: "Like `systemd-analyze calendar --iterations N`. Example: schedule next '30 2 * * *' --tz Europe/Berlin --from 2026-03-28T12:00")

        @OptionGroup var logging: LoggingOptions

        @Argument(help: ArgumentHelp("Five cron fields or an @ macro, quoted.", valueName: "expr"))
        var expression: String

        @Option(help: ArgumentHelp("Start after this time (ISO 8601; without an offset it is read in --tz). Default: now.", valueName: "time"))
        var from: String?

        @Option(parsing: .unconditional, help: "How many fire times (1-10000).")
        var count = 5

        @Option(help: ArgumentHelp("Time zone of the expression and the output (default: the system's).", valueName: "zone"))
        var tz: String?

        func run() async throws {
            try logging.bootstrapLogging()
            let zone: TimeZone
            if let tz {
                guard let named = TimeZone(identifier: tz) else {
                    throw OpsError(.usage, "--tz \(tz): unknown time zone (e.g. Europe/Berlin, America/New_York, UTC)")
                }
                zone = named
            } else {
                zone = .current
            }
            let count = try NumberOption.int(count, "--count", range: NumberOption.fireTimes)
            let expression: CronExpression
            do { expression = try CronExpression(self.expression) } catch { throw OpsError(.usage, "invalid cron expression '\(self.expression)': \(error)") }
            let start = try from.map { try TimeText.parseISO8601($0, defaultTimeZone: zone) } ?? Date()
            guard expression.canFire else { throw OpsError(.usage, "'\(self.expression)' never fires") }
            // Streamed: one line per fire time as it is found, nothing accumulated.
            var from = start
            for index in 0..<count {
                guard let date = expression.next(after: from, in: zone) else {
                    if index == 0 { throw OpsError(.usage, "'\(self.expression)' never fires") }
                    break
                }
                print(TimeText.iso8601(date, in: zone))
                from = date
            }
        }
    }
}
