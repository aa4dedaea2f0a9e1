@testable import Backup
import Foundation
import OpsCore
import PGClient
import Testing

/// The commands as an operator runs them: create, list, verify --restore-test, prune, restore --table.
@Suite("Backup commands", .serialized)
struct BackupCommandTests {
    @Test("verify --restore-test records the verified state, prune keeps the newest verified backup, restore --table restores one table")
    func verifyPruneAndTableRestore() async throws {
        let repository = try BackupTestSupport.temporaryRepository()
        defer { try? FileManager.default.removeItem(atPath: repository) }
        try await PostgresTestDatabase.with(migrated: true) { source, connection in
            try await BackupTestSupport.seed(connection, awkward: false)
            let environment = ["DATABASE_URL": try BackupTestSupport.url(source), "BACKUP_REPO": repository]
            let first = try await CLI.run(["backup", "create", "--jobs", "2"], environment: environment)
            #expect(first.status == 0, "\(first.stderr)")
            let verify = try await CLI.run(["backup", "verify", "latest", "--restore-test"], environment: environment)
            #expect(verify.status == 0, "\(verify.stderr)")
            #expect(verify.stdout.contains("every checksum matches; restore test passed"))
            let verified = try #require(try BackupRepository(root: repository).list().first)
            #expect(verified.verification?.restoreTest == true)

            // Two more backups; keep-last 1 still keeps the verified one, and says why.
            for _ in 0..<2 {
                try await Task.sleep(for: .seconds(1))
                #expect(try await CLI.run(["backup", "create", "--compression", "gzip"], environment: environment).status == 0)
            }
            let prune = try await CLI.run(["backup", "prune", "--keep-last", "1"], environment: environment)
            #expect(prune.status == 0, "\(prune.stderr)")
            #expect(prune.stdout.contains("keep    \(verified.id)  (newest verified)"))
            let remaining = try BackupRepository(root: repository).list().map(\.id)
            #expect(remaining.count == 2 && remaining.contains(verified.id))

            // The scratch database of the restore test is gone.
            let scratch = try await connection.query("SELECT count(*) AS n FROM pg_database WHERE datname LIKE 'ops_verify_%'").first?.decode(Int.self, "n")
            #expect(scratch == 0)

            // --table into a database that has the schema: the table is dropped and restored with its rows.
            try await PostgresTestDatabase.with(migrated: true) { target, targetConnection in
                let restore = try await CLI.run(["restore", verified.id, "--target-url", try BackupTestSupport.url(target), "--table", "public.sessions", "--clean"],
                                          environment: environment)
                #expect(restore.status == 0, "\(restore.stderr)")
                // The oracle is the source's count(*), not our own manifest.
                let sessions = verified.manifest.tables.filter { $0.displayName == "public.sessions" }
                let counts = try await BackupTestSupport.rowCounts(sessions, connection, targetConnection)
                #expect(counts.source == counts.restored && counts.source["public.sessions"] ?? 0 > 0, "\(counts)")
                let files = try await targetConnection.query("SELECT count(*) AS n FROM public.files").first?.decode(Int64.self, "n")
                #expect(files == 0, "other tables are left alone")
            }
        }
    }
}
