import DemoSeed
import Foundation
import Logging
import OpsCore
import OpsSupport
import PGClient
@testable import Retention
import Testing

/// Rows and runs shared by the retention tests.
enum RetentionFixtures {
    /// Inserts a session expiring at `expiresAt` with realistic children: one job, two files (one made
    /// by the job), one finished batch with three requests.
    /// - Returns: the session's id.
    @discardableResult
    static func session(_ db: PostgresConnection, sender: String, expiresAt: Date) async throws -> Int64 {
        let id = try await db.query("""
            INSERT INTO public.sessions (sender_id, session_type, source_locale, target_locales, created_at, expires_at)
            VALUES ($1, 'upload', 'en', '{fr,de}', $2::timestamptz - interval '30 days', $2) RETURNING id
            """, [sender, expiresAt]).first!.decode(Int64.self, "id")
        let job = try await db.query("""
            INSERT INTO public.translation_jobs (session_id, job_id, job_type, status) VALUES ($1, $2, 'upload', 'completed') RETURNING id
            """, [id, "job-\(sender)"]).first!.decode(Int64.self, "id")
        try await db.query("""
            INSERT INTO public.files (session_id, job_id, file_type, content_type, locale, relative_path, file_name, format, content)
            VALUES ($1, NULL, 'upload', 'content', 'en', 'docs/a.md', 'a.md', 'markdown', '# Hello'),
                   ($1, $2, 'translation', 'content', 'fr', 'docs/a.md', 'a.md', 'markdown', '# Bonjour')
            """, [id, job])
        let batch = try await db.query("""
            INSERT INTO public.batches (session_id, batch_id, status, request_count, created_at, completed_at)
            VALUES ($1, $2, 'in_progress', 3, now(), NULL) RETURNING id
            """, [id, "batch-\(sender)"]).first!.decode(Int64.self, "id")
        try await db.query("""
            INSERT INTO public.batch_requests (batch_id, custom_id, request)
            SELECT $1, 'req-' || g, jsonb_build_object('custom_id', 'req-' || g, 'body', jsonb_build_object('n', g))
            FROM generate_series(1, 3) g
            """, [batch])
        return id
    }

    /// The configuration of a test database, with the cache switched off unless `redisURL` is given.
    static func configuration(_ database: String, redisURL: String? = nil, backupRepository: String? = nil) throws -> OpsConfiguration {
        var configuration = try PostgresTestDatabase.opsConfiguration(database: database)
        configuration.redisURL = redisURL
        configuration.enableCache = redisURL != nil
        configuration.redisMaxRetries = 0
        // Backups in `<root>/backups`, so the default archive repository beside it is `<root>/archive`.
        if let backupRepository { configuration.backupRepository = backupRepository + "/backups" }
        return configuration
    }

    /// Runs the retention job the way every trigger does (advisory lock, run history).
    static func run(_ configuration: OpsConfiguration, _ change: (inout RetentionOptions) -> Void = { _ in }) async -> JobRunner.Report {
        var options = RetentionOptions()
        change(&options)
        let context = JobContext(configuration: configuration, logger: Logger(label: "test"), trigger: .manual)
        return await JobRunner(context: context).run(RetentionJob(options: options))
    }

    static func senders(_ db: PostgresConnection) async throws -> Set<String> {
        Set(try await db.query("SELECT sender_id FROM public.sessions").rows.map { try $0.decode(String.self, "sender_id") })
    }

    /// Row counts of the five tables.
    static func counts(_ db: PostgresConnection) async throws -> [String: Int64] {
        let row = try await db.query("""
            SELECT (SELECT count(*) FROM public.sessions) AS sessions, (SELECT count(*) FROM public.translation_jobs) AS translation_jobs,
                   (SELECT count(*) FROM public.files) AS files, (SELECT count(*) FROM public.batches) AS batches,
                   (SELECT count(*) FROM public.batch_requests) AS batch_requests
            """).first!
        var counts: [String: Int64] = [:]
        for table in ["sessions", "translation_jobs", "files", "batches", "batch_requests"] { counts[table] = try row.decode(Int64.self, table) }
        return counts
    }

    static func deleted(_ report: JobRunner.Report) -> [String: Int64] {
        guard case .object(let object)? = report.outcome?.details["deleted"] else { return [:] }
        return object.compactMapValues { $0.intValue }
    }

    /// Every column of every batch request, as text (jsonb as PostgreSQL prints it).
    static func requestRows(_ db: PostgresConnection) async throws -> [[String?]] {
        try await db.query("""
            SELECT id::text, batch_id::text, custom_id, request::text, response::text, error::text, status,
                   created_at::text, updated_at::text
            FROM public.batch_requests ORDER BY id
            """).rows.map(\.values)
    }

    /// The demo data set (`demo seed`).
    static func seedDemo(_ db: PostgresConnection) async throws {
        try await db.execute(DemoSeedSQL.sql)
    }

    /// A fresh directory for BACKUP_REPO, removed by the caller.
    static func temporaryRepository() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("retention-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
