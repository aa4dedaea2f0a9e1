import Foundation
import Logging
import Maintenance
import OpsCore
import OpsSupport
import PGClient
import Retention
import Testing

@Suite("Stats refresh")
struct StatsRefreshTests {
    func refresh(_ name: String) async throws -> JobRunner.Report {
        let context = JobContext(configuration: try PostgresTestDatabase.opsConfiguration(database: name), logger: Logger(label: "test"), trigger: .manual)
        return await JobRunner(context: context).run(StatsRefreshJob())
    }

    @Test func refreshBringsTheViewUpToDateConcurrentlyAndPopulatesANeverPopulatedView() async throws {
        try await PostgresTestDatabase.with { name, db in
            try await RetentionFixtures.seedDemo(db)  // ends with a plain refresh
            try await db.execute("DELETE FROM public.sessions WHERE sender_id IN ('demo-sender-001', 'demo-sender-003')")
            let stale = try await db.query("SELECT sessions_total FROM public.translation_stats WHERE session_type = 'upload'").first!.decode(Int64.self, "sessions_total")

            let report = try await refresh(name)
            #expect(report.status == .succeeded)
            #expect(report.outcome?.details["concurrent"] == .bool(true))
            let fresh = try await db.query("SELECT sessions_total FROM public.translation_stats WHERE session_type = 'upload'").first!.decode(Int64.self, "sessions_total")
            #expect(fresh == stale - 2)
            let truth = try await db.query("SELECT count(*) AS n FROM public.sessions WHERE session_type = 'upload'").first!.decode(Int64.self, "n")
            #expect(fresh == truth)

            try await db.execute("REFRESH MATERIALIZED VIEW public.translation_stats WITH NO DATA")
            let first = try await refresh(name)
            #expect(first.status == .succeeded)
            #expect(first.outcome?.details["concurrent"] == .bool(false))
            #expect(try await db.query("SELECT ispopulated FROM pg_matviews WHERE matviewname = 'translation_stats'").first!.decode(Bool.self, "ispopulated"))
            let runs = try await db.query("SELECT count(*) AS n FROM ops.job_runs WHERE job = 'stats-refresh' AND status = 'succeeded'").first!.decode(Int64.self, "n")
            #expect(runs == 2)
        }
    }
}
