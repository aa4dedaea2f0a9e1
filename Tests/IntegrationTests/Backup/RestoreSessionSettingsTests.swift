@testable import Backup
import Foundation
import PGClient
import Testing

/// The session settings every restore connection makes, as the server applies them.
@Suite("Restore session settings")
struct RestoreSessionSettingsTests {
    /// A superuser's restore sessions cancel a colliding autovacuum after 100 ms (deadlock_timeout);
    /// another role cannot change the setting and keeps the server's, without an error.
    @Test func deadlockTimeoutIsShortenedWhereTheRoleMaySetIt() async throws {
        let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(10).lowercased()
        let login = "plain_\(suffix)", password = "pw-\(suffix)"
        let admin = try await PostgresConnection.connect(PostgresTestDatabase.serverConfiguration())
        defer { Task { await admin.close() } }
        let serverDefault = try #require(try await admin.query("SHOW deadlock_timeout").first?["deadlock_timeout"])
        try await admin.query(Restorer.deadlockTimeoutSQL)
        #expect(try await admin.query("SHOW deadlock_timeout").first?["deadlock_timeout"] == "100ms")
        try await admin.query(Restorer.maintenanceWorkMemSQL)
        #expect(try await admin.query("SHOW maintenance_work_mem").first?["maintenance_work_mem"] == "256MB")

        try await admin.execute("CREATE ROLE \(login) LOGIN PASSWORD '\(password)'")
        defer { Task { try? await admin.execute("DROP ROLE IF EXISTS \(login)") } }
        let database = try #require(PostgresTestDatabase.serverConfiguration().database)
        let plain = try await PostgresConnection.connect(try PostgresConfiguration(try RestorePreflightTests.url(database, user: login, password: password)))
        defer { Task { await plain.close() } }
        try await plain.query(Restorer.deadlockTimeoutSQL)
        #expect(try await plain.query("SHOW deadlock_timeout").first?["deadlock_timeout"] == serverDefault)
    }

    /// Large values load compressed with lz4 while the server's default_toast_compression is the
    /// built-in pglz; a column's own SET COMPRESSION, a DBA's setting and --keep-toast-compression are kept.
    @Test func largeValuesLoadWithLz4UnlessChosenOtherwise() async throws {
        let repository = try BackupTestSupport.temporaryRepository()
        defer { try? FileManager.default.removeItem(atPath: repository) }
        try await PostgresTestDatabase.with(migrated: false) { source, connection in
            try await connection.execute("""
                CREATE TABLE public.docs (id int PRIMARY KEY, body text, pinned text COMPRESSION pglz);
                INSERT INTO public.docs SELECT i, repeat('compressible text ' || i, 400), repeat('pinned ' || i, 800) FROM generate_series(1, 50) i
                """)
            let result = try await BackupTestSupport.backup(database: source, repository: repository)
            func methods(_ options: RestoreOptions, databaseSetting: String? = nil) async throws -> [String] {
                try await PostgresTestDatabase.with(migrated: false) { target, admin in
                    if let databaseSetting {
                        try await admin.execute("ALTER DATABASE \(try await admin.quoteIdentifier(target)) SET default_toast_compression = \(databaseSetting)")
                    }
                    _ = try await Restorer(target: try BackupTestSupport.target(target), options: options, logger: BackupTestSupport.logger)
                        .restore(archive: result.archivePath)
                    try await BackupTestSupport.expectSameDump(source, target, "restore, TOAST compression", ignoringRowOrder: options.jobs > 1 && !options.preserveRowOrder)
                    let row = try #require(try await admin.query("""
                        SELECT string_agg(DISTINCT pg_column_compression(body), ',') AS body,
                               string_agg(DISTINCT pg_column_compression(pinned), ',') AS pinned FROM public.docs
                        """).first)
                    return [row["body"] ?? "none", row["pinned"] ?? "none"]
                }
            }
            #expect(try await connection.query("SELECT 1 AS ok FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)").first?["ok"] == "1",
                    "the test server has lz4")
            #expect(try await methods(RestoreOptions(jobs: 2)) == ["lz4", "pglz"])
            #expect(try await methods(RestoreOptions(singleTransaction: true)) == ["lz4", "pglz"])
            #expect(try await methods(RestoreOptions(jobs: 2, keepToastCompression: true)) == ["pglz", "pglz"])
            #expect(try await methods(RestoreOptions(jobs: 2), databaseSetting: "pglz") == ["pglz", "pglz"])
        }
    }
}
