import Foundation
import Logging
import OpsSupport
import PGClient

/// `--vacuum auto|always|never`: VACUUM the application tables a run deleted many rows from.
///
/// Why: until VACUUM removes them, the index entries of deleted rows stay in the indexes. Expired
/// sessions are the oldest, so after a large run they fill the low end of the `id` / `session_id`
/// indexes, and on PostgreSQL before 16 the planner walks all of them whenever it looks up an
/// index's actual lowest value (for instance for the merge-join estimate of every
/// `sessions JOIN files` the application plans): in the benchmark, 14 ms more planning per query
/// after deleting 1 M sessions, until autovacuum (throttled) got round to the tables.
/// `VACUUM (INDEX_CLEANUP ON, TRUNCATE OFF)` takes only a SHARE UPDATE EXCLUSIVE lock, which
/// the application's reads and writes never conflict with, and never the exclusive lock that
/// truncation would need.
package enum VacuumPolicy: String, Sendable, CaseIterable {
    /// Tables from which the run deleted at least `autoMinimumRows` rows and `autoFraction` of them.
    case auto
    case always
    case never

    package static let autoMinimumRows: Int64 = 10_000
    package static let autoFraction = 0.01
}

struct DeletionVacuum {
    /// When the run vacuums, it deletes these oldest expired sessions last, after the VACUUM: deleting
    /// them is what makes the dead entries reach the low end of the indexes, so the VACUUM runs while
    /// the planner cannot see them yet, and what is left after it is this many sessions' worth.
    static let tailSessions = 10_000

    /// The tables retention deletes from, in the order they are vacuumed (children first).
    static let tables = ["batch_requests", "batches", "files", "translation_jobs", "sessions"]

    /// Rows per table before the run (the planner's estimate, `pg_class.reltuples`; 0 when unknown).
    static func sizes(connection: PostgresConnection) async throws -> [String: Int64] {
        let rows = try await connection.query(Self.tableSizesSQL, [tables]).rows
        var sizes: [String: Int64] = [:]
        for row in rows { sizes[try row.decode(String.self, "relname")] = try row.decode(Int64.self, "rows") }
        return sizes
    }

    /// The tables `policy` vacuums after `deleted`.
    static func due(policy: VacuumPolicy, deleted: TableCounts, sizesBefore: [String: Int64]) -> [String] {
        return tables.filter { table in
            let removed = deleted[table: table]
            switch policy {
            case .never: return false
            case .always: return removed > 0
            case .auto:
                let before = max(sizesBefore[table] ?? 0, removed)
                return removed >= VacuumPolicy.autoMinimumRows && Double(removed) >= VacuumPolicy.autoFraction * Double(before)
            }
        }
    }

    /// Vacuums `tables` one by one on the job's connection, without a statement timeout (VACUUM
    /// blocks nobody) but under the run's `lock_timeout`: a table autovacuum is already working on is
    /// left to it. No VACUUM starts after `deadline` (`--max-runtime`); one that started may run past
    /// it. Returns the tables vacuumed and the warnings (a failed VACUUM does not undo the deletions, so
    /// it is a warning, not a failure). Cancellation (the job's, or `pg_cancel_backend`) is rethrown.
    static func run(_ tables: [String], connection: PostgresConnection, options: RetentionOptions,
                    deadline: ContinuousClock.Instant, logger: Logger) async throws -> (vacuumed: [String], seconds: Double, warnings: [String]) {
        guard !tables.isEmpty else { return ([], 0, []) }
        let clock = ContinuousClock()
        let start = clock.now
        var vacuumed: [String] = []
        var warnings: [String] = []
        // VACUUM needs the table's (or the database's) owner; for anyone else PostgreSQL only warns
        // and skips the table, which must not be reported as vacuumed.
        let allowed = Set(try await connection.query(Self.ownedTablesSQL, [tables]).rows.map { try $0.decode(String.self, "relname") })
        let restoreTimeout = {
            try await connection.query("SELECT set_config('statement_timeout', $1, false)", [DurationText.postgres(options.statementTimeout)])
        }
        try await connection.query("SELECT set_config('statement_timeout', '0', false)")
        do {
            for table in tables where Self.tables.contains(table) {
                guard allowed.contains(table) else {
                    logger.notice("VACUUM skipped: the job's role does not own the table; left to autovacuum", metadata: ["table": "public.\(table)"])
                    continue
                }
                guard ContinuousClock.now < deadline else {
                    logger.notice("VACUUM not started: --max-runtime reached; left to autovacuum", metadata: ["table": "public.\(table)"])
                    continue
                }
                do {
                    try await connection.execute("VACUUM (INDEX_CLEANUP ON, TRUNCATE OFF) public.\(table)")
                    vacuumed.append(table)
                    logger.info("vacuumed after deleting", metadata: ["table": "public.\(table)"])
                } catch let error as PostgresError where error.sqlState == "55P03" {
                    logger.notice("VACUUM skipped: another vacuum (autovacuum) holds the table", metadata: ["table": "public.\(table)"])
                } catch let error as PostgresError where error.sqlState != "57014" && !Task.isCancelled {
                    warnings.append("VACUUM public.\(table) failed: \(error.message)")
                }
            }
        } catch {
            _ = try? await restoreTimeout()
            throw error
        }
        _ = try await restoreTimeout()
        return (vacuumed, (clock.now - start).inSeconds, warnings)
    }
}
