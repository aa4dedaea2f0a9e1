import Foundation
import OpsCore
import OpsSupport
import PGClient
@testable import Retention
import Testing

/// Retention's warning paths (issue 14): exit 10 with the deletions kept.
@Suite("Retention: warning paths")
struct RetentionWarningTests {
    private static func vacuumCounts(_ db: PostgresConnection) async throws -> [String: Int64] {
        try await db.query("SELECT relname, vacuum_count FROM pg_catalog.pg_stat_user_tables WHERE schemaname = 'public'")
            .rows.reduce(into: [String: Int64]()) { $0[try $1.decode(String.self, "relname")] = try $1.decode(Int64.self, "vacuum_count") }
    }

    private static func connect(_ database: String) async throws -> PostgresConnection {
        try await PostgresConnection.connect(try PostgresTestDatabase.serverConfiguration().withDatabase(database))
    }

    /// `--max-runtime` passes while a deletion waits on the application's lock: the run finishes that
    /// transaction, starts nothing after it, no VACUUM either (though `--vacuum always` and rows were
    /// deleted: a VACUUM that ignored the deadline fails this), and warns, exit 10. The deadline is
    /// passed for certain and nothing depends on the machine's speed: the run's first deletion (the
    /// newest-expired session) is blocked on a lock this test holds until the deadline has passed.
    @Test func maxRuntimeReachedIsExitTenAndNoVacuumStartsAfterIt() async throws {
        try await PostgresTestDatabase.with { name, db in
            let now = Date()
            let held = try await RetentionFixtures.session(db, sender: "newest-expired", expiresAt: now.addingTimeInterval(-86_400))
            try await RetentionFixtures.session(db, sender: "oldest-expired", expiresAt: now.addingTimeInterval(-2 * 86_400))
            let app = try await Self.connect(name)
            try await app.execute("BEGIN")
            try await app.query("SELECT id FROM public.files WHERE session_id = $1 FOR UPDATE", [held])
            let before = try await Self.vacuumCounts(db)

            let configuration = try RetentionFixtures.configuration(name)
            // Long enough that a loaded machine still sends the first deletion before it passes (the
            // run sets its deadline just before that statement).
            let maxRuntime = Duration.seconds(10)
            let run = Task {
                await RetentionFixtures.run(configuration) {
                    $0.scope = .sessions
                    $0.batchSize = 1
                    $0.vacuum = .always
                    $0.maxRuntime = maxRuntime
                    // However late this test sees the wait, the lock is released before either gives up.
                    $0.lockTimeout = .seconds(120)
                    $0.statementTimeout = .seconds(180)
                }
            }
            // Newest-expired first: the first deletion waits on our lock.
            let blockedSeen = try await waitUntil("the run's first deletion waits on the held file") {
                try await db.query("""
                    SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
                    """).first?.decode(Int.self, "n") ?? 0 == 1
            }
            try #require(blockedSeen)
            // The run set its deadline before it began deleting, so before this instant.
            let blocked = ContinuousClock.now
            _ = try await waitUntil("--max-runtime passed while the run is blocked") { ContinuousClock.now - blocked > maxRuntime + .milliseconds(200) }
            try await app.execute("ROLLBACK")
            await app.close()
            let report = await run.value

            #expect(report.exitCode == 10, "\(String(describing: report.error))")
            #expect(report.outcome?.warnings.contains { $0.hasPrefix("stopped at --max-runtime") } == true, "\(report.outcome?.warnings ?? [])")
            // The blocked transaction finished (the newest session is gone) and nothing started after it.
            #expect(try await RetentionFixtures.senders(db) == ["oldest-expired"])
            #expect(report.outcome?.details["deleted"]?["sessions"]?.intValue == 1)
            #expect(report.outcome?.details["vacuumed"] == .array([]))
            #expect(try await Self.vacuumCounts(db) == before, "a VACUUM ran after --max-runtime")
        }
    }

    /// A VACUUM that fails is a warning, exit 10: the deletions stay and the other tables are still
    /// vacuumed. Here the VACUUM of `batch_requests` is made the victim of a real deadlock, built step by
    /// step on observed lock waits (no timing): the run's last query is held until another session has
    /// taken one of `batch_requests`' indexes; the VACUUM then holds the table and waits for the index,
    /// and that session asks for the table. The run's deadlock check (5 s for this database) fires
    /// long before the other session's (60 s), so the VACUUM is the one that fails.
    @Test func aFailedVacuumIsAWarningWithExitTenAndTheDeletionsStay() async throws {
        try await PostgresTestDatabase.with { name, db in
            let expired = try await RetentionFixtures.session(db, sender: "expired", expiresAt: Date().addingTimeInterval(-86_400))
            try await RetentionFixtures.session(db, sender: "live", expiresAt: Date().addingTimeInterval(86_400))
            try await db.execute("ALTER DATABASE \(try await db.quoteIdentifier(name)) SET deadlock_timeout = '5s'")
            let waiting = { (relation: String) in
                try await db.query("SELECT count(*) AS n FROM pg_locks WHERE relation = $1::regclass AND NOT granted", [relation])
                    .first?.decode(Int.self, "n") == 1
            }
            // 1. The application holds a file of the expired session: the deletion waits on it.
            let app = try await Self.connect(name)
            try await app.execute("BEGIN")
            try await app.query("SELECT id FROM public.files WHERE session_id = $1 FOR UPDATE", [expired])
            let configuration = try RetentionFixtures.configuration(name)
            let run = Task {
                await RetentionFixtures.run(configuration) {
                    $0.scope = .sessions
                    $0.vacuum = .always
                    $0.lockTimeout = .seconds(60)
                }
            }
            try await waitUntil("the deletion waits on the application's row") {
                try await db.query("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
                    .first?.decode(Int.self, "n") == 1
            }
            // 2. A session queues for sessions (granted once the deletion commits), so the run's next
            //    query, the count of expired sessions left, waits.
            let holdSessions = try await Self.connect(name)
            try await holdSessions.execute("BEGIN")
            let sessionsLocked = Task { try await holdSessions.execute("LOCK TABLE public.sessions IN ACCESS EXCLUSIVE MODE") }
            try await waitUntil("the lock on sessions is queued") { try await waiting("public.sessions") }
            try await app.execute("ROLLBACK")
            await app.close()
            try await sessionsLocked.value
            try await waitUntil("the run's count of what is left waits") { try await waiting("public.sessions") }
            // 3. Another session takes an index of batch_requests, then lets the run go on.
            let holdIndex = try await Self.connect(name)
            try await holdIndex.execute("SET deadlock_timeout = '60s'")
            try await holdIndex.execute("BEGIN")
            try await holdIndex.execute("ALTER INDEX public.batch_requests_batch_custom_id_key SET TABLESPACE pg_default")
            try await holdSessions.execute("ROLLBACK")
            await holdSessions.close()
            // 4. The VACUUM holds batch_requests and waits for the index; asking for the table closes the cycle.
            try await waitUntil("the VACUUM of batch_requests waits for its index") { try await waiting("public.batch_requests_batch_custom_id_key") }
            try await holdIndex.execute("LOCK TABLE public.batch_requests IN SHARE UPDATE EXCLUSIVE MODE")
            try await holdIndex.execute("ROLLBACK")
            await holdIndex.close()
            let report = await run.value

            #expect(report.exitCode == 10, "\(String(describing: report.error))")
            let warnings = report.outcome?.warnings ?? []
            #expect(warnings.contains { $0.hasPrefix("VACUUM public.batch_requests failed:") && $0.contains("deadlock") }, "\(warnings)")
            #expect(try await RetentionFixtures.senders(db) == ["live"])
            let vacuumed = report.outcome?.details["vacuumed"]
            #expect(vacuumed == .array(["batches", "files", "translation_jobs", "sessions"].map(JSONValue.string)), "\(String(describing: vacuumed))")
            #expect(try await db.query("SELECT status FROM ops.job_runs WHERE job = 'retention'").first?["status"] == "warning")
        }
    }
}

/// Batch archival's safeguards (issue 14): what is deleted must be exactly what was archived, and rows
/// the archive format cannot hold exactly are left alone, each with a warning (exit 10).
@Suite("Retention: batch archival safeguards")
struct BatchArchivalSafeguardTests {
    /// A live session with one completed batch, finished 30 days ago (due: `BATCH_ARCHIVE_DAYS` is 7).
    private static func dueBatch(_ db: PostgresConnection, response: String = #"{"ok": true}"#) async throws {
        let session = try await RetentionFixtures.session(db, sender: "live", expiresAt: Date().addingTimeInterval(86_400))
        let batch = try await db.query("""
            INSERT INTO public.batches (session_id, batch_id, status, request_count, created_at, completed_at)
            VALUES ($1, 'due-batch', 'completed', 3, now() - interval '31 days', now() - interval '30 days') RETURNING id
            """, [session]).first!.decode(Int64.self, "id")
        try await db.query("""
            INSERT INTO public.batch_requests (batch_id, custom_id, request, response, status)
            SELECT $1, 'req-' || g, jsonb_build_object('n', g), CASE WHEN g = 2 THEN $2::jsonb ELSE '{"ok": true}'::jsonb END, 'completed'
            FROM generate_series(1, 3) g
            """, [batch, response])
    }

    private static func state(_ db: PostgresConnection) async throws -> (requests: Int, archived: Bool) {
        let row = try await db.query("""
            SELECT (SELECT count(*) FROM public.batch_requests r JOIN public.batches b ON b.id = r.batch_id WHERE b.batch_id = 'due-batch') AS n,
                   (SELECT archived_at IS NOT NULL FROM public.batches WHERE batch_id = 'due-batch') AS archived
            """).first
        return (try row?.decode(Int.self, "n") ?? -1, try row?.decode(Bool.self, "archived") ?? true)
    }

    /// Deleting the batch's requests does not delete what the archive holds (a trigger keeps one row,
    /// as a concurrent change would): the delete is rolled back, twice, and the batch left for the
    /// next run with a warning. Nothing is lost and nothing is marked archived.
    @Test func aDeleteThatDoesNotMatchTheManifestRollsBack() async throws {
        let repository = try RetentionFixtures.temporaryRepository()
        defer { try? FileManager.default.removeItem(atPath: repository) }
        try await PostgresTestDatabase.with { name, db in
            try await Self.dueBatch(db)
            try await db.execute("""
                CREATE FUNCTION public.keep_req_2() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN IF OLD.custom_id = 'req-2' THEN RETURN NULL; END IF; RETURN OLD; END $$;
                CREATE TRIGGER keep_req_2 BEFORE DELETE ON public.batch_requests FOR EACH ROW EXECUTE FUNCTION public.keep_req_2();
                """)
            let report = await RetentionFixtures.run(try RetentionFixtures.configuration(name, backupRepository: repository)) { $0.scope = .batches }
            #expect(report.exitCode == 10, "\(String(describing: report.error))")
            #expect(report.outcome?.warnings == ["batch due-batch changed twice while being archived; left for the next run"])
            let after = try await Self.state(db)
            #expect(after.requests == 3 && !after.archived, "\(after)")
            #expect(report.outcome?.details["batches_archived"]?.intValue == 0)
        }
    }

    /// JSON `null` in a jsonb column (indistinguishable from SQL NULL in JSON Lines): the batch is not
    /// archived, a warning names it, exit 10, and no archive is written.
    @Test func aJSONNullInAJsonbColumnIsSkippedWithAWarning() async throws {
        let repository = try RetentionFixtures.temporaryRepository()
        defer { try? FileManager.default.removeItem(atPath: repository) }
        try await PostgresTestDatabase.with { name, db in
            try await Self.dueBatch(db, response: "null")
            let report = await RetentionFixtures.run(try RetentionFixtures.configuration(name, backupRepository: repository)) { $0.scope = .batches }
            #expect(report.exitCode == 10, "\(String(describing: report.error))")
            let warnings = report.outcome?.warnings ?? []
            #expect(warnings == ["batch due-batch not archived: a jsonb column holds the JSON value null, which JSON Lines cannot tell from SQL NULL"], "\(warnings)")
            let after = try await Self.state(db)
            #expect(after.requests == 3 && !after.archived, "\(after)")
            let files = FileManager.default.enumerator(atPath: repository)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".tar.zst") } ?? []
            #expect(files.isEmpty, "\(files)")
        }
    }
}
