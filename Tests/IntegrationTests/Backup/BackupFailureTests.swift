@testable import ArchiveIO
@testable import Backup
import Foundation
import OpsCore
import OpsSupport
import PGClient
import Testing

/// Damaged archives, held locks and killed runs: each refused or cleaned up, never half-applied.
@Suite("Backup failures", .serialized)
struct BackupFailureTests {
    /// One small backup shared by the corruption tests' copies.
    static func smallBackup(_ body: (BackupCreator.Result) async throws -> Void) async throws {
        try await smallBackup { result, _ in try await body(result) }
    }

    /// The same, with a connection to the source database (the oracle for restored row counts).
    static func smallBackup(_ body: (BackupCreator.Result, PostgresConnection) async throws -> Void) async throws {
        let repository = try BackupTestSupport.temporaryRepository()
        defer { try? FileManager.default.removeItem(atPath: repository) }
        try await PostgresTestDatabase.with(migrated: true) { source, connection in
            try await BackupTestSupport.seed(connection, awkward: false)
            try await body(try await BackupTestSupport.backup(database: source, repository: repository), connection)
        }
    }

    /// Restores `path` into a fresh empty database; returns the error and the target's object count.
    static func restoreDamaged(_ path: String) async throws -> (BackupError, Int) {
        try await PostgresTestDatabase.with(migrated: false) { target, connection in
            let error = try await #require(throws: BackupError.self) {
                _ = try await Restorer(target: try BackupTestSupport.target(target), options: RestoreOptions(),
                                       logger: BackupTestSupport.logger).restore(archive: path)
            }
            return (error, try await BackupTestSupport.objectCount(connection))
        }
    }

    @Test("a damaged archive (bit flip, truncation, missing member) is refused and the target left untouched")
    func damagedArchivesAreRefused() async throws {
        try await Self.smallBackup { result in
            let original = try Data(contentsOf: URL(fileURLWithPath: result.archivePath))
            let directory = (result.archivePath as NSString).deletingLastPathComponent

            // A flipped bit in the middle of the compressed data.
            var flipped = original
            flipped[flipped.count / 2] ^= 0x10
            let flippedPath = "\(directory)/flipped.tar.zst"
            try flipped.write(to: URL(fileURLWithPath: flippedPath))
            let (flipError, flipObjects) = try await Self.restoreDamaged(flippedPath)
            #expect(flipError.code == .checksumMismatch || flipError.code == .invalidArchive, "\(flipError)")
            #expect(flipError.message.contains("flipped.tar.zst"))
            #expect(flipObjects == 0)

            // Cut short.
            let truncatedPath = "\(directory)/truncated.tar.zst"
            try original.prefix(original.count * 6 / 10).write(to: URL(fileURLWithPath: truncatedPath))
            let (cutError, cutObjects) = try await Self.restoreDamaged(truncatedPath)
            #expect(cutError.code == .invalidArchive, "\(cutError)")
            #expect(cutObjects == 0)

            // Rewritten without one data member (the manifest still lists it).
            let dropped = try #require(result.manifest.members.first { $0.kind == .data }).name
            let missingPath = "\(directory)/missing.tar.zst"
            let reader = try ArchiveReader(path: result.archivePath)
            let writer = try ArchiveWriter(path: missingPath)
            while let entry = try reader.nextEntry() {
                let body = try reader.readAll()
                if entry.name != dropped { try writer.addEntry(name: entry.name, contents: body) }
            }
            try writer.finish()
            let (missingError, missingObjects) = try await Self.restoreDamaged(missingPath)
            #expect(missingError.message == "backup missing.tar.zst is incomplete: member \(dropped) listed in the manifest is missing from the archive")
            #expect(missingObjects == 0)
        }
    }

    @Test("a non-empty target is refused without --clean and replaced with it")
    func nonEmptyTargetNeedsClean() async throws {
        try await Self.smallBackup { result, source in
            try await PostgresTestDatabase.with(migrated: true) { target, connection in
                let restorer = Restorer(target: try BackupTestSupport.target(target), options: RestoreOptions(), logger: BackupTestSupport.logger)
                let error = try await #require(throws: BackupError.self) { _ = try await restorer.restore(archive: result.archivePath) }
                #expect(error.code == .targetNotEmpty)
                #expect(error.message.contains("pass --clean"))
                let clean = Restorer(target: try BackupTestSupport.target(target), options: RestoreOptions(clean: true, jobs: 2), logger: BackupTestSupport.logger)
                let summary = try await clean.restore(archive: result.archivePath)
                // The oracle is the source's count(*), not our own manifest.
                let counts = try await BackupTestSupport.rowCounts(result.manifest.tables.filter { $0.schema == "public" }, source, connection)
                #expect(counts.source == counts.restored && counts.source["public.files"] ?? 0 > 0, "\(counts)")
                #expect(summary.rows == result.manifest.totalRows)
            }
        }
    }

    @Test("a table locked exclusively by another session makes the backup fail fast, naming it")
    func lockedTableFailsFast() async throws {
        let repository = try BackupTestSupport.temporaryRepository()
        defer { try? FileManager.default.removeItem(atPath: repository) }
        try await PostgresTestDatabase.with(migrated: true) { source, connection in
            try await connection.execute("BEGIN; LOCK TABLE public.files IN ACCESS EXCLUSIVE MODE")
            let options = BackupOptions(jobs: 1, lockWaitTimeout: 0.5)
            let error = try await #require(throws: BackupError.self) {
                _ = try await BackupTestSupport.backup(database: source, repository: repository, options: options)
            }
            try await connection.execute("ROLLBACK")
            #expect(error.message == "backup failed: cannot lock table public.files (lock_wait_timeout 0.5s): another session holds or waits for a conflicting lock")
            #expect(try BackupRepository(root: repository).list().isEmpty)
        }
    }

    @Test("a backup killed with SIGKILL is never listed, and the next run removes its leftovers")
    func killedBackupIsNeverListed() async throws {
        let repository = try BackupTestSupport.temporaryRepository()
        defer { try? FileManager.default.removeItem(atPath: repository) }
        try await PostgresTestDatabase.with(migrated: true) { source, connection in
            // ~10 MB: several data members, so the run is killed with more still to copy.
            try await connection.execute("CREATE TABLE public.bulk AS SELECT i, repeat(md5(i::text), 100) AS body FROM generate_series(1, 3000) i")
            let environment = ["DATABASE_URL": try BackupTestSupport.url(source), "BACKUP_REPO": repository]
            let directory = "\(repository)/\(source)"
            // Killed right after the first data member reached the temporary archive.
            let killed = try await CLI.run(["backup", "create", "--compression", "none", "--jobs", "1"],
                                     environment: environment.merging([CrashPoint.variable: "backup-data-member-written"]) { $1 })
            #expect(killed.status == SIGKILL)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            let leftover = try #require(names.first { $0.hasSuffix(AtomicFile.partialSuffix) })
            #expect(FileManager.default.fileExists(atPath: "\(directory)/\(leftover)"))

            let list = try await CLI.run(["backup", "list", "--json"], environment: environment)
            #expect(list.status == 0)
            #expect(list.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[\n\n]" || list.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]")

            let next = try await CLI.run(["backup", "create", "--compression", "none", "--jobs", "1"], environment: environment)
            #expect(next.status == 0, "\(next.stderr)")
            #expect(!FileManager.default.fileExists(atPath: "\(directory)/\(leftover)"))
            #expect(try BackupRepository(root: repository).list().count == 1)
        }
    }
}
