import ArgumentParser
import Foundation
import OpsCore

/// Entry point: parses arguments, runs the command, and turns every error into one line on stderr and
/// a documented exit code (README, "Exit codes") — never a stack trace.
@main
struct Main {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let command: any ParsableCommand
        do {
            command = try AutoI18nOps.parseAsRoot(arguments)
        } catch {
            let code = AutoI18nOps.exitCode(for: error)
            if code == .success {
                // --help, --version: print and exit 0.
                AutoI18nOps.exit(withError: error)
            }
            FileHandle.standardError.write(Data((usageLine(for: error) + "\n").utf8))
            exit(ExitCode.usage)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var syncCommand = command
                try syncCommand.run()
            }
            exit(ExitCode.ok)
        } catch let error as OpsError {
            FileHandle.standardError.write(Data("auto-i18n-ops: \(error.message)\n".utf8))
            exit(error.code.exitCode)
        } catch let error as ArgumentParser.ExitCode {
            exit(error.rawValue)
        } catch where String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
            // --help, --version and validation errors surface from run() for subcommands.
            let message = AutoI18nOps.fullMessage(for: error)
            if AutoI18nOps.exitCode(for: error) == .success {
                print(message)
                exit(ExitCode.ok)
            }
            FileHandle.standardError.write(Data((usageLine(for: error) + "\n").utf8))
            exit(ExitCode.usage)
        } catch {
            let mapped = Stores.opsError(error)
            let code = (mapped as? OpsError)?.code.exitCode ?? ExitCode.failure
            FileHandle.standardError.write(Data("auto-i18n-ops: \(mapped)\n".utf8))
            exit(code)
        }
    }
}

extension Main {
    /// An argument error as the one line every error is: `auto-i18n-ops: <what is wrong> (see '<command> --help')`.
    static func usageLine(for error: any Error) -> String {
        let message = AutoI18nOps.message(for: error).split(separator: "\n").first.map(String.init) ?? ""
        let full = AutoI18nOps.fullMessage(for: error)
        var line = "auto-i18n-ops: " + (message.isEmpty ? "invalid arguments" : message)
        if let range = full.range(of: #"See '[^']+'"#, options: .regularExpression) {
            line += " (see " + full[range].dropFirst(4) + ")"
        }
        return line
    }
}

struct AutoI18nOps: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auto-i18n-ops",
        abstract: "Operations for the auto-i18n service: schema, health, backups, retention, snapshots, scheduling.",
        version: BuildInfo.versionText,
        subcommands: [SchemaCommand.self, HealthCommand.self, DemoCommand.self, HistoryCommand.self,
                      BackupCommand.self, RestoreCommand.self, RetentionCommand.self, BatchesCommand.self, StatsCommand.self,
                      SnapshotCommand.self, CacheCommand.self, ImportCommand.self, RunCommand.self, ScheduleCommand.self])
}
