import Logging
import OpsCore
import OpsSupport
import PGClient

/// `demo seed`: realistic demo data for a throwaway stack (sessions, jobs, files, batches, and the cache
/// keys of the live ones). Refuses a database that holds any non-demo session.
package enum DemoSeeder {
    /// What was seeded, for the command's summary.
    package struct Summary: Sendable {
        package var sessions = 0, files = 0, batches = 0, requests = 0
        /// Cache keys written; nil when no `REDIS_URL` is set.
        package var cacheKeys: Int?
    }

    /// Seeds the migrated database of `configuration`, and the Redis server when `REDIS_URL` is set.
    /// - Throws: `OpsError` `.usage` when migrations are pending or the database holds real sessions.
    package static func seed(_ configuration: OpsConfiguration, logger: Logger) async throws -> Summary {
        var summary = Summary()
        let (live, queued) = try await Stores.withPostgres(configuration) { connection in
            let status = try await MigrationRunner(logger: logger).status(on: connection)
            guard status.pending.isEmpty else {
                throw OpsError(.usage, "the database has \(status.pending.count) pending migration(s); run 'auto-i18n-ops schema migrate' first")
            }
            // Demo data is for throwaway stacks: refuse a database that holds real sessions.
            if let count = try await connection.query(Self.foreignSessionsSQL).first?.decode(Int.self, "n"), count > 0 {
                throw OpsError(.usage, "the database holds \(count) session(s) that are not demo data; demo seed only runs on a database with no other sessions (a local stack)")
            }
            try await connection.transaction { try await connection.execute(DemoSeedSQL.sql) }
            if let row = try await connection.query(Self.countsSQL).first {
                summary.sessions = try row.decode(Int.self, "sessions")
                summary.files = try row.decode(Int.self, "files")
                summary.batches = try row.decode(Int.self, "batches")
                summary.requests = try row.decode(Int.self, "requests")
            }
            // Cache keys of live sessions and the queue of batches still in flight, as the application keeps them.
            let live = try await connection.query(Self.liveSendersSQL).rows.map { try $0.decode(String.self, "sender_id") }
            let queued = try await connection.query(Self.queuedBatchesSQL).rows.map { try $0.decode(String.self, "batch_id") }
            return (live, queued)
        }
        if configuration.redisURL != nil {
            summary.cacheKeys = try await DemoCache.seed(configuration: configuration, liveSenderIDs: live, queuedBatchIDs: queued)
        }
        return summary
    }
}
