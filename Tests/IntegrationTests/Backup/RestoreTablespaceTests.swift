@testable import Backup
import Foundation
import Logging
import PGClient
import Testing

/// Indexes and tables in another tablespace: pg_dump writes `SET default_tablespace = …` before each,
/// and `restore --jobs 2` runs post-data on two connections (and its head early, beside the load).
/// Every object must land where the source has it.
@Suite("Restore: tablespaces with --jobs")
struct RestoreTablespaceTests {
    @Test func objectsInAnotherTablespaceRestoreThereWithTwoJobs() async throws {
        let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(10).lowercased()
        let tablespace = "ts_\(suffix)"
        let admin = try await PostgresConnection.connect(PostgresTestDatabase.serverConfiguration())
        defer { Task { await admin.close() } }
        // A directory the server's own user owns (the server runs on this host, as the test stack does).
        let dataDirectory = try #require(try await admin.query("SELECT current_setting('data_directory') AS d").first?["d"])
        let owner = try FileManager.default.attributesOfItem(atPath: dataDirectory)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ops-\(tablespace)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.setAttributes([.ownerAccountID: try #require(owner[.ownerAccountID]),
                                               .groupOwnerAccountID: try #require(owner[.groupOwnerAccountID])], ofItemAtPath: directory)
        try await admin.execute("CREATE TABLESPACE \(tablespace) LOCATION '\(directory)'")
        let repository = try BackupTestSupport.temporaryRepository()
        defer { try? FileManager.default.removeItem(atPath: repository) }
        do {
            try await PostgresTestDatabase.with(migrated: false) { source, db in
                try await db.execute("""
                    CREATE TABLE public.t (id int PRIMARY KEY, a int, b int);
                    CREATE TABLE public.u (id int PRIMARY KEY USING INDEX TABLESPACE \(tablespace), a int, v tsvector) TABLESPACE \(tablespace);
                    INSERT INTO public.t SELECT i, i % 97, i % 13 FROM generate_series(1, 20000) i;
                    INSERT INTO public.u SELECT i, i % 89, to_tsvector('simple', 'word' || (i % 50)) FROM generate_series(1, 20000) i;
                    CREATE INDEX t_a ON public.t (a) TABLESPACE \(tablespace);
                    CREATE INDEX t_b ON public.t (b);
                    CREATE INDEX u_v ON public.u USING gin (v);
                    CREATE INDEX u_a ON public.u (a) TABLESPACE pg_default;
                    CREATE INDEX t_ab ON public.t (a, b) TABLESPACE \(tablespace);
                    """)
                let result = try await BackupTestSupport.backup(database: source, repository: repository,
                                                                options: BackupOptions(jobs: 2, chunkBytes: 64 * 1024))
                try await PostgresTestDatabase.with(migrated: false) { target, connection in
                    _ = try await Restorer(target: try BackupTestSupport.target(target), options: RestoreOptions(jobs: 2), logger: Logger(label: "test"))
                        .restore(archive: result.archivePath)
                    let placement = """
                        SELECT c.relname || ':' || coalesce(t.spcname, '-') AS placed FROM pg_class c
                        JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_tablespace t ON t.oid = c.reltablespace
                        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i') ORDER BY 1
                        """
                    let expected = try await db.query(placement).rows.map { try $0.decode(String.self, "placed") }
                    let placed = try await connection.query(placement).rows.map { try $0.decode(String.self, "placed") }
                    #expect(expected.filter { $0.hasSuffix(":\(tablespace)") }.count == 4, "\(expected)")
                    #expect(placed == expected)
                    try await BackupTestSupport.expectSameDump(source, target, "tablespaces, --jobs 2", ignoringRowOrder: true)
                }
            }
        } catch {
            try? await admin.execute("DROP TABLESPACE IF EXISTS \(tablespace)")
            throw error
        }
        try await admin.execute("DROP TABLESPACE IF EXISTS \(tablespace)")
    }
}
