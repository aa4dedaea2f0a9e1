import Foundation
import OpsCore
import OpsSupport
import PGClient
@testable import Retention
import Testing

@Suite("Retention: session expiry")
struct SessionExpiryTests {
    /// A fixed instant with whole microseconds, the resolution of timestamptz.
    static let boundary = Date(timeIntervalSince1970: 1_900_000_000.25)

    @Test func sessionsExpiredBeforeTheBoundaryAreDeletedWithEverythingTheyOwnAndNoOthers() async throws {
        try await PostgresTestDatabase.with { name, db in
            let t = Self.boundary
            try await RetentionFixtures.session(db, sender: "long-gone", expiresAt: t.addingTimeInterval(-40 * 86_400))
            try await RetentionFixtures.session(db, sender: "just-before", expiresAt: t.addingTimeInterval(-0.000001))
            try await RetentionFixtures.session(db, sender: "at", expiresAt: t)
            try await RetentionFixtures.session(db, sender: "just-after", expiresAt: t.addingTimeInterval(0.000001))
            try await RetentionFixtures.session(db, sender: "live", expiresAt: t.addingTimeInterval(20 * 86_400))

            // Batch size 1: every session in its own transaction.
            let report = await RetentionFixtures.run(try RetentionFixtures.configuration(name)) {
                $0.referenceTime = t
                $0.batchSize = 1
                $0.scope = .sessions
            }
            #expect(report.status == .succeeded)
            #expect(try await RetentionFixtures.senders(db) == ["at", "just-after", "live"])
            #expect(RetentionFixtures.deleted(report) == ["sessions": 2, "translation_jobs": 2, "files": 4, "batches": 2, "batch_requests": 6])
            // Nothing of the kept sessions went with them.
            #expect(try await RetentionFixtures.counts(db) == ["sessions": 3, "translation_jobs": 3, "files": 6, "batches": 3, "batch_requests": 9])
            let orphans = try await db.query("""
                SELECT (SELECT count(*) FROM public.files f WHERE NOT EXISTS (SELECT 1 FROM public.sessions s WHERE s.id = f.session_id))
                     + (SELECT count(*) FROM public.batch_requests r WHERE NOT EXISTS (SELECT 1 FROM public.batches b WHERE b.id = r.batch_id)) AS n
                """).first!.decode(Int64.self, "n")
            #expect(orphans == 0)
            let details = try #require(report.outcome?.details)
            #expect(details["transactions"]?.intValue == 3)  // two deletions and the empty batch that ends the loop
            #expect(details["expired_sessions_remaining"]?.intValue == 0)
            #expect(details["cache_invalidation"]?.stringValue == "disabled")
            #expect((details["longest_transaction_seconds"]?.doubleValue ?? -1) >= 0)

            let run = try #require(try await db.query("SELECT status, details->'deleted'->>'files' AS files FROM ops.job_runs WHERE job = 'retention'").first)
            #expect(run["status"] == "succeeded")
            #expect(run["files"] == "4")
        }
    }

    @Test(arguments: [VacuumPolicy.always, .never, .auto])
    func vacuumPolicyDecidesWhichTablesAreVacuumedAfterTheDeletions(policy: VacuumPolicy) async throws {
        try await PostgresTestDatabase.with { name, db in
            try await RetentionFixtures.seedDemo(db)
            let vacuums = {
                try await db.query("SELECT relname, vacuum_count FROM pg_catalog.pg_stat_user_tables WHERE schemaname = 'public'")
                    .rows.reduce(into: [String: Int64]()) { $0[try $1.decode(String.self, "relname")] = try $1.decode(Int64.self, "vacuum_count") }
            }
            let before = try await vacuums()
            let report = await RetentionFixtures.run(try RetentionFixtures.configuration(name)) {
                $0.scope = .sessions
                $0.vacuum = policy
            }
            #expect(report.status == .succeeded)
            let vacuumed = report.outcome?.details["vacuumed"]
            let after = try await vacuums()
            let grown = Set(after.filter { $0.value > (before[$0.key] ?? 0) }.keys)
            switch policy {
            case .always:
                // The demo's expired sessions own rows in every table.
                let all = ["batch_requests", "batches", "files", "translation_jobs", "sessions"]
                #expect(vacuumed == .array(all.map { .string($0) }))
                #expect(grown == Set(all))
            case .never, .auto:
                // auto: 30 sessions are far below the 10 000-row threshold.
                #expect(vacuumed == .array([]))
                #expect(grown.isEmpty)
            }
        }
    }

    @Test func aRunThatVacuumsDeletesTheOldestSessionsLastAfterTheVacuum() async throws {
        try await PostgresTestDatabase.with { name, db in
            try await RetentionFixtures.seedDemo(db)
            let vacuumCount = {
                try await db.query("SELECT vacuum_count FROM pg_catalog.pg_stat_user_tables WHERE relid = 'public.sessions'::regclass")
                    .first!.decode(Int64.self, "vacuum_count")
            }
            let before = try await vacuumCount()
            let report = await RetentionFixtures.run(try RetentionFixtures.configuration(name)) {
                $0.scope = .sessions
                $0.vacuum = .always
                $0.vacuumTailSessions = 5
            }
            #expect(report.status == .succeeded)
            // All 30 expired demo sessions go: 25 newest, VACUUM, the 5 oldest, VACUUM (always).
            #expect(report.outcome?.details["deleted"]?["sessions"]?.intValue == 30)
            #expect(report.outcome?.details["expired_sessions_remaining"]?.intValue == 0)
            #expect(try await vacuumCount() == before + 2)
            #expect(try await db.query("SELECT count(*) AS n FROM public.sessions WHERE expires_at < now()").first!.decode(Int64.self, "n") == 0)
        }
    }

    @Test func tablesTheJobsRoleDoesNotOwnAreNeitherVacuumedNorReportedAsVacuumed() async throws {
        try await PostgresTestDatabase.with { name, db in
            try await RetentionFixtures.seedDemo(db)
            // A role that may delete but owns nothing, as the job's role in a stricter deployment.
            let role = "deleter_\(name)"
            try await db.execute("""
                CREATE ROLE \(role) NOLOGIN;
                GRANT USAGE ON SCHEMA public, ops TO \(role);
                GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public, ops TO \(role);
                GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public, ops TO \(role);
                """)
            do {
                var configuration = try RetentionFixtures.configuration(name)
                let base = try #require(configuration.databaseURL)
                var url = try #require(URLComponents(string: base))
                url.queryItems = (url.queryItems ?? []) + [URLQueryItem(name: "options", value: "-c role=\(role)")]
                configuration.databaseURL = try #require(url.string)
                let report = await RetentionFixtures.run(configuration) {
                    $0.scope = .sessions
                    $0.vacuum = .always
                }
                #expect(report.status == .succeeded, "\(String(describing: report.error))")
                #expect(report.outcome?.details["deleted"]?["sessions"]?.intValue == 30)
                #expect(report.outcome?.details["vacuumed"] == .array([]))
            } catch {
                try? await db.execute("DROP OWNED BY \(role); DROP ROLE \(role)")
                throw error
            }
            try await db.execute("DROP OWNED BY \(role); DROP ROLE \(role)")
        }
    }

    @Test func aDryRunCountsWhatWouldGoAndChangesNothing() async throws {
        try await PostgresTestDatabase.with { name, db in
            try await RetentionFixtures.seedDemo(db)
            let before = try await RetentionFixtures.counts(db)
            let expected = try await db.query("""
                SELECT count(*) AS n FROM public.sessions WHERE expires_at < now()
                """).first!.decode(Int64.self, "n")
            let report = await RetentionFixtures.run(try RetentionFixtures.configuration(name)) { $0.dryRun = true }
            #expect(report.status == .succeeded)
            #expect(report.outcome?.details["would_delete"]?["sessions"]?.intValue == expected)
            #expect(expected == 30)  // demo sessions 051–080
            #expect(report.outcome?.details["batches_would_archive"]?.intValue == 18)  // 001–012 and 021–026
            #expect(try await RetentionFixtures.counts(db) == before)
        }
    }

    @Test func aSessionLockedByTheApplicationIsSkippedNotWaitedOnAndDeletedByTheNextRun() async throws {
        try await PostgresTestDatabase.with { name, db in
            let past = Date().addingTimeInterval(-86_400)
            let lockedSession = try await RetentionFixtures.session(db, sender: "locked-session", expiresAt: past)
            let lockedChild = try await RetentionFixtures.session(db, sender: "locked-file", expiresAt: past)
            for i in 0..<5 { try await RetentionFixtures.session(db, sender: "free-\(i)", expiresAt: past) }

            // The "application": one transaction holds a session row, another holds a file of a second session.
            let app = try await PostgresConnection.connect(try PostgresTestDatabase.serverConfiguration().withDatabase(name))
            try await app.execute("BEGIN")
            try await app.query("SELECT id FROM public.sessions WHERE id = $1 FOR UPDATE", [lockedSession])
            try await app.query("SELECT id FROM public.files WHERE session_id = $1 FOR UPDATE", [lockedChild])

            let configuration = try RetentionFixtures.configuration(name)
            let first = await RetentionFixtures.run(configuration) { $0.scope = .sessions; $0.lockTimeout = .milliseconds(100) }
            #expect(first.status == .succeeded, "\(String(describing: first.error))")
            #expect(try await RetentionFixtures.senders(db) == ["locked-session", "locked-file"])
            #expect(first.outcome?.details["deleted"]?["sessions"]?.intValue == 5)
            #expect(first.outcome?.details["sessions_skipped_locked"]?.intValue == 1)  // the one whose file was held
            #expect(first.outcome?.details["expired_sessions_remaining"]?.intValue == 2)

            try await app.execute("ROLLBACK")
            await app.close()
            let second = await RetentionFixtures.run(configuration) { $0.scope = .sessions }
            #expect(second.status == .succeeded)
            #expect(try await RetentionFixtures.senders(db).isEmpty)
            #expect(second.outcome?.details["deleted"]?["sessions"]?.intValue == 2)
        }
    }
}
