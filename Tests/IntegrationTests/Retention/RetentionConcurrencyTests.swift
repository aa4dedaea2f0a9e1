import ArchiveIO
import Foundation
import OpsCore
import OpsSupport
import PGClient
import Testing

@Suite("Retention: one run at a time")
struct RetentionConcurrencyTests {
    @Test func ofTwoConcurrentRunsOneRunsAndTheOtherIsSkippedWithExitCode75() async throws {
        try await PostgresTestDatabase.with { name, db in
            let past = Date().addingTimeInterval(-3600)
            let held = try await RetentionFixtures.session(db, sender: "held", expiresAt: past)
            try await RetentionFixtures.session(db, sender: "free", expiresAt: past)
            let configuration = try PostgresTestDatabase.opsConfiguration(database: name)
            let environment = ["DATABASE_URL": try #require(configuration.databaseURL), "ENABLE_CACHE": "false"]

            // The application holds a file of an expired session, so the first run waits on it (its
            // lock timeout is long here) while holding the job's lock.
            let app = try await PostgresConnection.connect(try PostgresTestDatabase.serverConfiguration().withDatabase(name))
            try await app.execute("BEGIN")
            try await app.query("SELECT id FROM public.files WHERE session_id = $1 FOR UPDATE", [held])
            let first = Task {
                try await CLI.run(["retention", "--only", "sessions", "--lock-timeout", "120s"], environment: environment)
            }
            var waiting = false
            let deadline = ContinuousClock.now + .seconds(120)
            while !waiting, ContinuousClock.now < deadline {
                waiting = try await db.query("""
                    SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'
                    """, [name]).first!.decode(Int64.self, "n") == 1
                if !waiting { try await Task.sleep(for: .milliseconds(50)) }
            }
            try #require(waiting, "the first run never reached the held row")

            let second = try await CLI.run(["retention", "--only", "sessions"], environment: environment)
            #expect(second.status == ExitCode.skipped)
            #expect(second.stderr.contains("already running"))

            try await app.execute("ROLLBACK")
            await app.close()
            let firstResult = try await first.value
            #expect(firstResult.status == ExitCode.ok)
            #expect(try await RetentionFixtures.senders(db).isEmpty)
            let statuses = try await db.query("SELECT status FROM ops.job_runs WHERE job = 'retention' ORDER BY id").rows.map { $0["status"] }
            #expect(statuses == ["succeeded", "skipped"])
        }
    }
}
