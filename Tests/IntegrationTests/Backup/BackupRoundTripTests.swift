@testable import Backup
import Foundation
import OpsCore
import PGClient
import Testing

/// The oracle round trip: back up a database with the application schema, demo data and awkward
/// data; restore it with `restore` (in parallel, and in one transaction) and with plain psql from
/// the tar members as the Runbook says; pg_dump of the source and of every target must be identical.
@Suite("Backup round trip", .serialized)
struct BackupRoundTripTests {
    @Test("a backup restored by restore and by psql from its tar members is identical to the source for pg_dump")
    func roundTripMatchesPgDump() async throws {
        let repository = try BackupTestSupport.temporaryRepository()
        defer { try? FileManager.default.removeItem(atPath: repository) }
        try await PostgresTestDatabase.with(migrated: true) { source, connection in
            try await BackupTestSupport.seed(connection)
            let result = try await BackupTestSupport.backup(database: source, repository: repository)

            // The published layout: archive and manifest beside it, both 0600 in a 0700 directory.
            let manifest = result.manifest
            #expect(result.archivePath.hasSuffix("/\(source)/\(manifest.id).tar.zst"))
            #expect(manifest.members.first?.name == "0000-pre-data.sql")
            #expect(manifest.members.suffix(2).map(\.name) == ["7000-sequence-set.sql", "8000-post-data.sql"])
            let big = try #require(manifest.tables.first { $0.displayName == "Awkward Schema.big" })
            #expect(big.rows == 20)
            let files = try #require(manifest.tables.first { $0.displayName == "public.files" })
            #expect(files.members.count > 1, "a 256 KiB chunk size splits the files table into several members")
            let attributes = try FileManager.default.attributesOfItem(atPath: result.archivePath)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            let directory = try FileManager.default.attributesOfItem(atPath: (result.archivePath as NSString).deletingLastPathComponent)
            #expect((directory[.posixPermissions] as? NSNumber)?.intValue == 0o700)
            let beside = try BackupManifest.decode(try Data(contentsOf: URL(fileURLWithPath: result.manifestPath)), source: "beside")
            #expect(beside == manifest)
            #expect(try BackupRepository(root: repository).list().map(\.id) == [manifest.id])

            // (a) restore, 2 connections, row order kept: identical.
            try await PostgresTestDatabase.with(migrated: false) { target, _ in
                let summary = try await Restorer(target: try BackupTestSupport.target(target), options: RestoreOptions(jobs: 2, preserveRowOrder: true),
                                                 logger: BackupTestSupport.logger).restore(archive: result.archivePath)
                #expect(summary.rows == manifest.totalRows)
                try await BackupTestSupport.expectSameDump(source, target, "restore --jobs 2 --preserve-row-order")
            }
            // restore, 2 connections loading a table's members at once: the same rows, maybe in another order.
            try await PostgresTestDatabase.with(migrated: false) { target, _ in
                _ = try await Restorer(target: try BackupTestSupport.target(target), options: RestoreOptions(jobs: 2),
                                       logger: BackupTestSupport.logger).restore(archive: result.archivePath)
                try await BackupTestSupport.expectSameDump(source, target, "restore --jobs 2", ignoringRowOrder: true)
            }
            // restore in one transaction, one connection.
            try await PostgresTestDatabase.with(migrated: false) { target, _ in
                _ = try await Restorer(target: try BackupTestSupport.target(target), options: RestoreOptions(singleTransaction: true),
                                       logger: BackupTestSupport.logger).restore(archive: result.archivePath)
                try await BackupTestSupport.expectSameDump(source, target, "restore --single-transaction")
            }
            // (b) exactly the Runbook's command.
            try await PostgresTestDatabase.with(migrated: false) { target, _ in
                try await BackupTestSupport.shell("tar -xOf \"$ARCHIVE\" --wildcards '*.sql' | psql -X -q -v ON_ERROR_STOP=1 -d \"$TARGET\" > /dev/null",
                                            environment: ["ARCHIVE": result.archivePath, "TARGET": try BackupTestSupport.url(target)])
                try await BackupTestSupport.expectSameDump(source, target, "tar | psql")
            }
        }
    }

    @Test("plain pg_dump scripts, uncompressed, gzip and zstd, restore identically", arguments: ["sql", "sql.gz", "sql.zst"])
    func plainPgDumpScriptsRestore(format: String) async throws {
        let directory = try BackupTestSupport.temporaryRepository()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await PostgresTestDatabase.with(migrated: true) { source, connection in
            try await BackupTestSupport.seed(connection)
            let path = "\(directory)/backup_20261126.\(format)"
            let compress = format == "sql.gz" ? " | gzip" : format == "sql.zst" ? " | zstd -q" : ""
            try await BackupTestSupport.shell("pg_dump -Fp -d \"$URL\"\(compress) > \"$OUT\"", environment: ["URL": try BackupTestSupport.url(source), "OUT": path])
            try await PostgresTestDatabase.with(migrated: false) { target, _ in
                _ = try await Restorer(target: try BackupTestSupport.target(target), options: RestoreOptions(),
                                       logger: BackupTestSupport.logger).restore(plain: path)
                try await BackupTestSupport.expectSameDump(source, target, "plain \(format)")
            }
        }
    }
}
