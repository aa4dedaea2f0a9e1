import ArgumentParser
import OpsCore

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Demo data for a local stack.", subcommands: [Seed.self])

    struct Seed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Insert realistic demo sessions, files and batches (migrated database required), and demo cache keys when REDIS_URL is set.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let context = try global.context(label: "demo")
            let connection = try await Stores.postgres(context.configuration)
            let status = try await MigrationRunner(logger: context.logger).status(on: connection)
            guard status.pending.isEmpty else {
                throw OpsError(.usage, "the database has \(status.pending.count) pending migration(s); run 'auto-i18n-ops schema migrate' first")
            }
            // Demo data is for throwaway stacks: refuse a database that holds real sessions.
            let foreign = try await connection.query("SELECT count(*) AS n FROM sessions WHERE sender_id NOT LIKE 'demo-%'")
            if let count = try foreign.first?.decode(Int.self, "n"), count > 0 {
                throw OpsError(.usage, "the database holds \(count) session(s) that are not demo data; demo seed only runs on a database with no other sessions (a local stack)")
            }
            try await connection.transaction { try await connection.execute(DemoSeedSQL.sql) }
            let counts = try await connection.query("""
                SELECT (SELECT count(*) FROM sessions) AS sessions, (SELECT count(*) FROM files) AS files,
                       (SELECT count(*) FROM batches) AS batches, (SELECT count(*) FROM batch_requests) AS requests
                """)
            // Cache keys of live sessions and the queue of batches still in flight, as the application keeps them.
            let live = try await connection.query("SELECT sender_id FROM sessions WHERE expires_at > now() AND sender_id LIKE 'demo-%' ORDER BY sender_id")
            let queued = try await connection.query("SELECT batch_id FROM batches WHERE status IN ('pending', 'submitted', 'in_progress') AND batch_id LIKE 'demo-%' ORDER BY batch_id")
            await connection.close()
            if let row = counts.first {
                print("demo data: \(row["sessions"] ?? "0") sessions, \(row["files"] ?? "0") files, \(row["batches"] ?? "0") batches, \(row["requests"] ?? "0") batch requests")
            }
            if context.configuration.redisURL != nil {
                let keys = try await DemoCache.seed(configuration: context.configuration,
                                                    liveSenderIDs: try live.rows.map { try $0.decode(String.self, "sender_id") },
                                                    queuedBatchIDs: try queued.rows.map { try $0.decode(String.self, "batch_id") })
                print("demo cache: \(keys) keys (session:*, stats:*, api:response:*, translation:*, ratelimit:*, batch:queue)")
            }
        }
    }
}
