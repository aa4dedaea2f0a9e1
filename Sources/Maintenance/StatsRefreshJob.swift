import Foundation
import OpsCore
import OpsSupport
import PGClient

/// `stats refresh` (job `stats-refresh`): refreshes the `translation_stats` materialized view the
/// dashboard reads, `CONCURRENTLY` so readers are never blocked (its unique index on session_type
/// allows that). A view that was never populated (created `WITH NO DATA`) cannot be refreshed
/// concurrently, so its first refresh is a plain one.
package struct StatsRefreshJob: OpsJob {
    package let name = "stats-refresh"

    package init() {}

    package func run(_ context: JobContext) async throws -> JobOutcome {
        try await Stores.withPostgres(context.configuration) { connection in try await refresh(connection) }
    }

    private func refresh(_ connection: PostgresConnection) async throws -> JobOutcome {
        guard let populated = try await connection.query(Self.isPopulatedSQL).first?.decode(Bool.self, "ispopulated") else {
            throw OpsError(.configuration, "public.translation_stats does not exist; run 'auto-i18n-ops schema migrate' first")
        }
        let clock = ContinuousClock()
        let start = clock.now
        try await connection.execute(populated
            ? "REFRESH MATERIALIZED VIEW CONCURRENTLY public.translation_stats"
            : "REFRESH MATERIALIZED VIEW public.translation_stats")
        let seconds = (clock.now - start).inSeconds
        let rows = try await connection.query("SELECT count(*) AS n FROM public.translation_stats").first?.decode(Int64.self, "n") ?? 0
        return JobOutcome(details: [
            "concurrent": .bool(populated),
            "duration_seconds": .double((seconds * 1e6).rounded() / 1e6),
            "rows": .int(rows),
        ])
    }
}
