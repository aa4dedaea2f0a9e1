@testable import Backup
import Foundation
import OpsCore
import PGClient
import Testing

/// Runs the `drill` blocks of Runbooks/restore.md, in order, with `bash -e`, as an on-call engineer
/// would: a backup of a migrated, seeded database (taken by the CLI, so its `ops.job_runs` holds the
/// backup's own `running` row), restored into a database the runbook's command creates, with roles
/// created from the backup; row counts against the manifest; ANALYZE; the no-tool SHA-256 check. Then
/// the first job run on the restored database marks the restored `running` row interrupted.
@Suite("Restore runbook drill", .serialized)
struct RestoreDrillTests {
    static func drillBlocks() throws -> [String] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("Runbooks/restore.md"), encoding: .utf8)
        var blocks: [String] = []
        let lines = text.components(separatedBy: "\n")
        var index = 0
        while index < lines.count {
            if lines[index] == "<!-- drill -->", index + 1 < lines.count, lines[index + 1] == "```sh" {
                var block: [String] = []
                index += 2
                while index < lines.count, lines[index] != "```" { block.append(lines[index]); index += 1 }
                blocks.append(block.joined(separator: "\n"))
            }
            index += 1
        }
        return blocks
    }

    @Test func theRunbookRestoresAFreshDatabaseCommandByCommand() async throws {
        let blocks = try Self.drillBlocks()
        try #require(blocks.count == 5, "the runbook's drill blocks: \(blocks.count)")
        let repository = try BackupTestSupport.temporaryRepository()
        defer { try? FileManager.default.removeItem(atPath: repository) }
        let server = try PostgresTestDatabase.serverConfiguration()
        let admin = try await PostgresConnection.connect(server)
        defer { Task { await admin.close() } }
        let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        let restored = "t_drill_\(suffix)"
        try await PostgresTestDatabase.with(migrated: true) { source, connection in
            try await BackupTestSupport.seed(connection, awkward: false)
            let environment = ["DATABASE_URL": server.url(forDatabase: source), "BACKUP_REPO": repository]
            let backup = try await CLI.run(["backup", "create", "--jobs", "2"], environment: environment)
            try #require(backup.status == 0, "\(backup.stderr)")
            let binDirectory = try CLI.executable().deletingLastPathComponent().path
            let drillEnvironment = [
                "BACKUP_REPO": repository, "DB": source, "TARGET_URL": server.url(forDatabase: restored),
                "PATH": "\(binDirectory):\(ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")",
            ]
            do {
                var outputs: [String] = []
                for block in blocks {
                    // The runbook's commands run without DATABASE_URL, as on a fresh host.
                    outputs.append(try await BackupTestSupport.shell("set -e\nunset DATABASE_URL\n" + block, environment: drillEnvironment))
                }
                #expect(outputs[2].contains("0 mismatches in "), "\(outputs[2])")
                #expect(!outputs[2].contains("in 0 tables"))
                #expect(outputs[4].contains("all members match the manifest"), "\(outputs[4])")
                // The source's ops.job_runs moved on after the backup (the run finished): compare the rest.
                for flags in ["--schema-only", "--data-only --exclude-table-data=ops.job_runs"] {
                    let expected = BackupTestSupport.sortingCopyRows(try await BackupTestSupport.pgDump(source, flags))
                    let actual = BackupTestSupport.sortingCopyRows(try await BackupTestSupport.pgDump(restored, flags))
                    #expect(expected == actual, "pg_dump \(flags) differs at \(firstDifference(expected, actual))")
                }

                // The restored history shows the backup that made it as running; the first job run on the
                // restored database ends it as interrupted.
                let target = try await PostgresConnection.connect(server.withDatabase(restored))
                defer { Task { await target.close() } }
                let running = try await target.query("SELECT count(*) AS n FROM ops.job_runs WHERE job = 'backup' AND status = 'running'").first
                #expect(running?["n"] == "1")
                let run = try await CLI.run(["backup", "create"], environment: ["DATABASE_URL": server.url(forDatabase: restored), "BACKUP_REPO": repository])
                #expect(run.status == 0, "\(run.stderr)")
                let after = try await target.query("""
                    SELECT count(*) FILTER (WHERE status = 'running') AS running,
                           count(*) FILTER (WHERE status = 'interrupted' AND error LIKE 'interrupted: its process % is gone') AS interrupted
                    FROM ops.job_runs WHERE job = 'backup'
                    """).first
                #expect(after?["running"] == "0" && after?["interrupted"] == "1")
                // A later analysis needs no vacuumdb: the restore analyzed every table.
                let unanalyzed = try await target.query("SELECT count(*) AS n FROM pg_stat_user_tables WHERE last_analyze IS NULL AND schemaname <> 'ops'").first
                #expect(unanalyzed?["n"] == "0")
            } catch {
                try? await admin.execute("DROP DATABASE IF EXISTS \(restored) WITH (FORCE)")
                throw error
            }
            try await admin.execute("DROP DATABASE IF EXISTS \(restored) WITH (FORCE)")
        }
    }
}
