import ArgumentParser
import OpsCore

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Demo data for a local stack.", subcommands: [Seed.self])

    struct Seed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Insert realistic demo sessions, files and batches (migrated database required).")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let context = try global.context(label: "demo")
            let connection = try await Stores.postgres(context.configuration)
            let status = try await MigrationRunner(logger: context.logger).status(on: connection)
            guard status.pending.isEmpty else {
                throw OpsError(.usage, "the database has \(status.pending.count) pending migration(s); run 'auto-i18n-ops schema migrate' first")
            }
            try await connection.transaction { try await connection.execute(DemoSeedSQL.sql) }
            let counts = try await connection.query("""
                SELECT (SELECT count(*) FROM sessions) AS sessions, (SELECT count(*) FROM files) AS files,
                       (SELECT count(*) FROM batches) AS batches, (SELECT count(*) FROM batch_requests) AS requests
                """)
            await connection.close()
            if let row = counts.first {
                print("demo data: \(row["sessions"] ?? "0") sessions, \(row["files"] ?? "0") files, \(row["batches"] ?? "0") batches, \(row["requests"] ?? "0") batch requests")
            }
        }
    }
}
