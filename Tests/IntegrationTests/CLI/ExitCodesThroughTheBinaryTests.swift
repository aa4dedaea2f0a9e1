import Foundation
import PGClient
import TestSupport
import Testing

/// Exit codes and everyday commands through the binary, as an operator runs them (issue 14, "Tests that
/// would catch a regression"): not only at library level.
@Suite("Exit codes and everyday commands through the binary")
struct ExitCodesThroughTheBinaryTests {
    private func url(_ database: String) throws -> String {
        try PostgresTestDatabase.serverConfiguration().url(forDatabase: database)
    }

    @Test func restoreOntoANonEmptyTargetIsTwoAndLeavesItAlone() async throws {
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("exit-\(UUID().uuidString).sql").path
        try "CREATE TABLE public.from_script (x integer);\n".write(toFile: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: script) }
        try await PostgresTestDatabase.with(migrated: true) { target, connection in
            let result = try await CLI.run(["restore", script, "--target-url", try url(target)], environment: ["DATABASE_URL": try url(target)])
            #expect(result.status == 2, "\(result.stderr)")
            #expect(result.stderr.contains("not empty"), "\(result.stderr)")
            let created = try await connection.query("SELECT to_regclass('public.from_script') IS NOT NULL AS present").first?.decode(Bool.self, "present")
            #expect(created == false)
        }
    }

    /// A restore that fails after the data is in (an event trigger of the target refuses CREATE INDEX,
    /// in post-data): with `--single-transaction` nothing is left, not a table, not a row; without it
    /// the target keeps what was loaded (so the failure really came after the data).
    @Test func singleTransactionRollsBackEverythingOnAFailure() async throws {
        let repository = FileManager.default.temporaryDirectory.appendingPathComponent("single-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: repository) }
        try await PostgresTestDatabase.with(migrated: true) { source, sourceConnection in
            try await sourceConnection.query("INSERT INTO public.sessions (sender_id, session_type, source_locale) VALUES ('kept', 'upload', 'en')")
            let environment = ["DATABASE_URL": try url(source), "BACKUP_REPO": repository]
            let backup = try await CLI.run(["backup", "create"], environment: environment)
            try #require(backup.status == 0, "\(backup.stderr)")
            for singleTransaction in [true, false] {
                try await PostgresTestDatabase.with(migrated: false) { target, connection in
                    // In pg_catalog, so that the target still counts as empty.
                    let function = "pg_catalog.refuse_index_\(target)"
                    try await connection.execute("""
                        CREATE FUNCTION \(function)() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no index today'; END $$;
                        CREATE EVENT TRIGGER refuse_index ON ddl_command_end WHEN TAG IN ('CREATE INDEX') EXECUTE FUNCTION \(function)();
                        """)
                    let result = try await CLI.run(["restore", "latest", "--target-url", try url(target)] + (singleTransaction ? ["--single-transaction"] : []),
                                             environment: environment)
                    #expect(result.status == 1, "\(result.stderr)")
                    #expect(result.stderr.contains("no index today"), "\(result.stderr)")
                    let tables = try await connection.query("""
                        SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                        WHERE n.nspname IN ('public', 'ops') AND c.relkind = 'r'
                        """).first?.decode(Int.self, "n") ?? -1
                    if singleTransaction {
                        #expect(tables == 0, "--single-transaction left \(tables) tables")
                    } else {
                        #expect(tables > 0)
                        let sessions = try await connection.query("SELECT sender_id FROM public.sessions").rows.map { $0["sender_id"] ?? nil }
                        #expect(sessions == ["kept"])
                    }
                    try await connection.execute("DROP EVENT TRIGGER refuse_index; DROP FUNCTION \(function)()")
                }
            }
        }
    }

    @Test func aSchemaNewerThanTheBinaryIsFour() async throws {
        try await PostgresTestDatabase.with(migrated: true) { database, connection in
            try await connection.execute("INSERT INTO ops.schema_migrations (version, name, checksum) VALUES (99999, 'from_the_future', 'x')")
            let environment = ["DATABASE_URL": try url(database)]
            let status = try await CLI.run(["schema", "status"], environment: environment)
            #expect(status.status == 4, "\(status.stderr)")
            let job = try await CLI.run(["stats", "refresh"], environment: environment)
            #expect(job.status == 4, "\(job.stderr)")
            #expect(job.stderr.contains("is at version 99999") && job.stderr.contains("upgrade auto-i18n-ops"), "\(job.stderr)")
        }
    }

    @Test func aFailedHealthCheckIsOne() async throws {
        // Any connection in use is at least 0 % of max_connections: the connections check fails.
        let result = try await CLI.run(["health", "--connections-warn", "0", "--connections-fail", "0"])
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stderr.contains("health check failed: postgres:connections"), "\(result.stderr)")
    }

    @Test func historyShowsARunAndTextfileMetricsPassPromtool() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("textfile-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await PostgresTestDatabase.with(migrated: true) { database, _ in
            let environment = ["DATABASE_URL": try url(database)]
            let run = try await CLI.run(["schedule", "sleep", "--seconds", "0", "--textfile-dir", directory, "--trigger", "cron"], environment: environment)
            #expect(run.status == 0, "\(run.stderr)")
            let history = try await CLI.run(["history", "--job", "sleep", "--json"], environment: environment)
            #expect(history.status == 0, "\(history.stderr)")
            let runs = try #require(try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]])
            #expect(runs.count == 1)
            #expect(runs.first?["status"] as? String == "succeeded")
            #expect(runs.first?["trigger"] as? String == "cron")
            let text = try String(contentsOfFile: directory + "/auto_i18n_ops_sleep.prom", encoding: .utf8)
            let lint = try Promtool.checkMetrics(text)
            #expect(lint.status == 0 && lint.output.isEmpty, "\(lint.output)")
            #expect(text.contains("ops_job=\"sleep\""), "\(text)")
        }
    }

    @Test func jobsAboveTheConnectionBudgetAreCappedWithANotice() async throws {
        let repository = FileManager.default.temporaryDirectory.appendingPathComponent("cap-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: repository) }
        try await PostgresTestDatabase.with(migrated: true) { database, _ in
            let environment = ["DATABASE_URL": try url(database), "BACKUP_REPO": repository, "POSTGRES_MAX_CONNECTIONS": "2"]
            let result = try await CLI.run(["backup", "create", "--jobs", "60"], environment: environment)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("--jobs 60 capped to 2 connections by POSTGRES_MAX_CONNECTIONS"), "\(result.stderr)")
        }
    }

    @Test func scheduleCheckAndNextAsAUserTypesThem() async throws {
        let path = RepositoryPath.url("Cron/schedule").path
        let check = try await CLI.run(["schedule", "check", path, "--count", "2"])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.hasPrefix("\(path): ") && check.stdout.contains("job line(s), valid"), "\(check.stdout)")
        let next = try await CLI.run(["schedule", "next", "30 2 * * *", "--tz", "Europe/Berlin", "--from", "2026-03-28T12:00", "--count", "2"])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stdout == "2026-03-29T03:00:00+02:00\n2026-03-30T02:30:00+02:00\n", "\(next.stdout)")
    }
}
