import ArgumentParser
import Foundation
import Logging
import OpsCore
import PGClient

struct SchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema", abstract: "Apply or list the embedded schema migrations.",
        subcommands: [Migrate.self, Status.self])

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply pending migrations (each in one transaction, under an advisory lock).",
        discussion: EnvironmentHelp.discussion("", EnvironmentHelp.database))
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let context = try global.context(label: "schema")
            let applied = try await Stores.withPostgres(context.configuration) { connection in
                try await MigrationRunner(logger: context.logger).migrate(on: connection)
            }
            print(applied.isEmpty ? "schema is up to date" : "applied migrations: \(applied.map(String.init).joined(separator: ", "))")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List applied and pending migrations.",
        discussion: EnvironmentHelp.discussion("", EnvironmentHelp.database))
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let context = try global.context(label: "schema")
            let status = try await Stores.withPostgres(context.configuration) { connection in
                try await MigrationRunner(logger: context.logger).status(on: connection)
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.dateEncodingStrategy = .iso8601
                print(String(decoding: try encoder.encode(status), as: UTF8.self))
                return
            }
            let formatter = ISO8601DateFormatter()
            for entry in status.applied {
                print("applied  \(entry.version)  \(entry.name)  \(entry.appliedAt.map(formatter.string(from:)) ?? "")")
            }
            for entry in status.pending { print("pending  \(entry.version)  \(entry.name)") }
            print("database version \(status.databaseVersion), binary version \(status.binaryVersion), \(status.pending.count) pending")
        }
    }
}
