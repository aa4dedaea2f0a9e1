@testable import Backup
import Foundation
import OpsCore
import OpsSupport
import PGClient
import Testing

/// `backup create`, `restore` and `backup verify` report progress while they run (issue 12 §3): the
/// lines count what really moves (tables, rows, bytes, members) against the catalog's or the
/// manifest's totals. Logged every 10 ms here (`.every`), as a non-terminal run logs every 10 s.
@Suite("Progress lines", .serialized)
struct ProgressLineTests {
    /// `label: name a/b, …`: the figure before the slash of the quantity `name` in each line.
    static func figures(_ lines: [String], label: String, name: String) -> [(done: Int64, total: Int64?)] {
        lines.filter { $0.hasPrefix(label + ": ") }.compactMap { line in
            guard let range = line.range(of: "\(name) ") else { return nil }
            let field = line[range.upperBound...].prefix { $0 != "," }
            let parts = field.split(separator: "/")
            guard let done = parts.first.flatMap({ Int64($0) }) else { return nil }
            return (done, parts.count > 1 ? Int64(parts[1]) : nil)
        }
    }

    @Test("backup, copy, restore and verify log rows, tables and members done of their totals, never more than the total")
    func progressLinesCountTheRealWork() async throws {
        let repository = try BackupTestSupport.temporaryRepository()
        defer { try? FileManager.default.removeItem(atPath: repository) }
        try await PostgresTestDatabase.with(migrated: false) { source, connection in
            // About 60 MB of COPY text in two tables: long enough for a few lines at 10 ms.
            try await connection.execute("""
                CREATE TABLE big (id int PRIMARY KEY, pad text);
                INSERT INTO big SELECT g, repeat(md5(g::text), 6) FROM generate_series(1, 250000) g;
                CREATE TABLE small (id int);
                INSERT INTO small SELECT generate_series(1, 1000);
                ANALYZE;
                """)
            var configuration = try PostgresTestDatabase.opsConfiguration(database: source)
            configuration.backupRepository = repository
            var options = BackupOptions(compression: .zstd, level: 1, jobs: 2, chunkBytes: 256 * 1024)
            options.progress = .every(.milliseconds(10))
            let (backupLogger, backupLog) = CapturingLogHandler.logger()
            let result = try await BackupCreator(configuration: configuration, repository: BackupRepository(root: repository),
                                                 options: options, logger: backupLogger).create()
            let rows = Self.figures(backupLog.all, label: "backup", name: "rows")
            let tables = Self.figures(backupLog.all, label: "backup", name: "tables")
            #expect(!rows.isEmpty, "no progress line in \(backupLog.all)")
            #expect(rows.contains { $0.done > 0 }, "rows never moved: \(backupLog.all.filter { $0.hasPrefix("backup:") })")
            #expect(rows.allSatisfy { $0.done <= result.manifest.totalRows })
            #expect(zip(rows, rows.dropFirst()).allSatisfy { $0.done <= $1.done }, "rows went backwards")
            #expect(tables.allSatisfy { $0.total == 2 && $0.done <= 2 })

            let (verifyLogger, verifyLog) = CapturingLogHandler.logger()
            let entry = try #require(BackupRepository(root: repository).list().first)
            _ = try await BackupVerifier(configuration: configuration, logger: verifyLogger, progress: .every(.milliseconds(10)))
                .verify(entry, restoreTest: false)
            let checked = Self.figures(verifyLog.all, label: "verify", name: "members")
            #expect(!checked.isEmpty, "no verify progress line in \(verifyLog.all)")
            #expect(checked.allSatisfy { $0.total == Int64(result.manifest.members.count) && $0.done <= $0.total! })

            // backup copy: the bytes copied reach the archive's stored size exactly.
            let copyRoot = try BackupTestSupport.temporaryRepository()
            defer { try? FileManager.default.removeItem(atPath: copyRoot) }
            let copyMeter = ProgressMeter(label: "copy", quantities: [.init("copied", total: entry.archiveBytes, isBytes: true)],
                                          display: .none, log: { _ in })
            let copied = try BackupCopyJob.copy(entry, to: BackupRepository(root: copyRoot), logger: BackupTestSupport.logger, progress: copyMeter)
            #expect(copied.bytes == entry.archiveBytes)
            #expect(copyMeter.line().hasPrefix("copy: \(ByteCount.format(entry.archiveBytes))/\(ByteCount.format(entry.archiveBytes)), "), "\(copyMeter.line())")

            try await PostgresTestDatabase.with(migrated: false) { target, targetConnection in
                let (restoreLogger, restoreLog) = CapturingLogHandler.logger()
                _ = try await Restorer(target: try BackupTestSupport.target(target), options: RestoreOptions(jobs: 2, progress: .every(.milliseconds(10))),
                                       logger: restoreLogger).restore(archive: result.archivePath)
                let loaded = Self.figures(restoreLog.all, label: "restore", name: "rows")
                #expect(!loaded.isEmpty, "no restore progress line in \(restoreLog.all)")
                #expect(loaded.contains { $0.done > 0 })
                #expect(loaded.allSatisfy { $0.total == result.manifest.totalRows && $0.done <= result.manifest.totalRows })
                // The oracle for what was counted: the target's own rows.
                let count = try await targetConnection.query("SELECT count(*) AS n FROM big").first?.decode(Int64.self, "n")
                #expect(count == 250_000)
            }
        }
    }

    @Test("without a display nothing is logged: --quiet, and the library's default")
    func quietLogsNothing() async throws {
        #expect(ProgressMeter.defaultDisplay(quiet: true) == .none)
        let repository = try BackupTestSupport.temporaryRepository()
        defer { try? FileManager.default.removeItem(atPath: repository) }
        try await PostgresTestDatabase.with(migrated: false) { source, connection in
            try await connection.execute("CREATE TABLE t AS SELECT generate_series(1, 100000) AS id")
            var configuration = try PostgresTestDatabase.opsConfiguration(database: source)
            configuration.backupRepository = repository
            let (logger, log) = CapturingLogHandler.logger()
            _ = try await BackupCreator(configuration: configuration, repository: BackupRepository(root: repository),
                                        options: BackupOptions(jobs: 1), logger: logger).create()
            #expect(!log.all.contains { $0.hasPrefix("backup: ") }, "\(log.all)")
        }
    }
}
