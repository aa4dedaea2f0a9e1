import ArchiveIO
import Foundation
import Logging
import OpsCore
import OpsSupport
import PGClient
@testable import Retention
import Testing

@Suite("Retention: batch archival and unarchive")
struct BatchArchivalTests {
    /// Runs a tool and returns its stdout (the oracles: GNU tar with zstd, sha256sum).
    static func tool(_ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "\(arguments.joined(separator: " ")) failed")
        return data
    }

    /// `row_to_json` lines per batch, read independently of the archiver.
    static func jsonLines(_ db: PostgresConnection) async throws -> [String: String] {
        var lines: [String: String] = [:]
        for row in try await db.query("""
            SELECT b.batch_id, string_agg(row_to_json(r)::text || E'\\n', '' ORDER BY r.id) AS jsonl
            FROM public.batch_requests r JOIN public.batches b ON b.id = r.batch_id GROUP BY b.batch_id
            """).rows {
            lines[try row.decode(String.self, "batch_id")] = try row.decode(String.self, "jsonl")
        }
        return lines
    }

    static func archivedBatches(_ db: PostgresConnection) async throws -> [(batchID: String, uri: String, sha: String)] {
        try await db.query("""
            SELECT batch_id, archive_uri, archive_sha256 FROM public.batches
            WHERE archived_at IS NOT NULL AND archive_uri LIKE 'file://%' ORDER BY batch_id
            """).rows.map { (try $0.decode(String.self, "batch_id"), try $0.decode(String.self, "archive_uri"), try $0.decode(String.self, "archive_sha256")) }
    }

    static func unarchiveAll(_ configuration: OpsConfiguration, _ db: PostgresConnection) async throws {
        let unarchiver = BatchUnarchiver(configuration: configuration, logger: .init(label: "test"))
        for batch in try await archivedBatches(db) { _ = try await unarchiver.unarchive(batchID: batch.batchID) }
    }

    @Test func archivingThenUnarchivingGivesBackIdenticalRows() async throws {
        let repository = try RetentionFixtures.temporaryRepository()
        defer { try? FileManager.default.removeItem(atPath: repository) }
        try await PostgresTestDatabase.with { name, db in
            try await RetentionFixtures.seedDemo(db)
            let before = try await RetentionFixtures.requestRows(db)
            let lines = try await Self.jsonLines(db)
            let configuration = try RetentionFixtures.configuration(name, backupRepository: repository)

            let report = await RetentionFixtures.run(configuration) { $0.scope = .batches }
            #expect(report.status == .succeeded)
            #expect(report.outcome?.details["batches_archived"]?.intValue == 18)

            let archived = try await Self.archivedBatches(db)
            #expect(archived.count == 18)
            for batch in archived {
                let path = String(batch.uri.dropFirst("file://".count))
                #expect(path.hasPrefix(repository + "/archive/batches/"))
                #expect(path.hasSuffix("/\(batch.batchID).tar.zst"))
                let attributes = try FileManager.default.attributesOfItem(atPath: path)
                #expect((attributes[.posixPermissions] as? Int) == 0o600)
                let directory = try FileManager.default.attributesOfItem(atPath: (path as NSString).deletingLastPathComponent)
                #expect((directory[.posixPermissions] as? Int) == 0o700)
                // Oracles: sha256sum for the recorded checksum, GNU tar + zstd for the content.
                let sum = String(decoding: try Self.tool(["sha256sum", path]), as: UTF8.self).prefix(64)
                #expect(String(sum) == batch.sha)
                let jsonl = String(decoding: try Self.tool(["tar", "--zstd", "-xOf", path, BatchArchive.requestsEntry]), as: UTF8.self)
                #expect(jsonl == lines[batch.batchID])
                let manifest = try JSONDecoder().decode(BatchArchive.Manifest.self,
                                                        from: try Self.tool(["tar", "--zstd", "-xOf", path, BatchArchive.manifestEntry]))
                #expect(manifest.rows == Int64(jsonl.split(separator: "\n").count))
                #expect(manifest.batchID == batch.batchID)
            }
            let left = try await db.query("""
                SELECT count(*) AS n FROM public.batch_requests r JOIN public.batches b ON b.id = r.batch_id WHERE b.archived_at IS NOT NULL
                """).first!.decode(Int64.self, "n")
            #expect(left == 0)
            #expect(try await RetentionFixtures.counts(db)["batches"] == 26)  // batch rows stay

            try await Self.unarchiveAll(configuration, db)
            #expect(try await RetentionFixtures.requestRows(db) == before)
            #expect(try await Self.archivedBatches(db).isEmpty)
        }
    }

    /// Seeds the demo, runs `retention --only batches` killed with SIGKILL at `point`, checks that no
    /// request row was lost, calls `afterCrash`, runs it again, checks every due batch was archived and
    /// restores exactly, and calls `afterRerun`. Both closures get the files below the repository with
    /// a given suffix.
    static func crashAndRerun(at point: String, rerunArguments: [String] = [],
                              afterCrash: (_ files: (String) -> [String]) throws -> Void,
                              afterRerun: (_ files: (String) -> [String]) throws -> Void = { _ in }) async throws {
        let repository = try RetentionFixtures.temporaryRepository()
        defer { try? FileManager.default.removeItem(atPath: repository) }
        let files = { (suffix: String) in
            FileManager.default.enumerator(atPath: repository)?.compactMap { $0 as? String }.filter { $0.hasSuffix(suffix) } ?? []
        }
        try await PostgresTestDatabase.with { name, db in
            try await RetentionFixtures.seedDemo(db)
            let before = try await RetentionFixtures.requestRows(db)
            let configuration = try RetentionFixtures.configuration(name, backupRepository: repository)
            let environment = ["DATABASE_URL": try #require(configuration.databaseURL), "BACKUP_REPO": repository + "/backups", "ENABLE_CACHE": "false"]

            let crashed = try await CLI.run(["retention", "--only", "batches"], environment: environment.merging([CrashPoint.variable: point]) { $1 })
            #expect(crashed.status == SIGKILL)
            #expect(try await RetentionFixtures.requestRows(db) == before)
            #expect(try await Self.archivedBatches(db).isEmpty)
            try afterCrash(files)

            let rerun = try await CLI.run(["retention", "--only", "batches"] + rerunArguments, environment: environment)
            #expect(rerun.status == ExitCode.ok)
            try afterRerun(files)
            #expect(try await Self.archivedBatches(db).count == 18)
            try await Self.unarchiveAll(configuration, db)
            #expect(try await RetentionFixtures.requestRows(db) == before)
        }
    }

    @Test func aCrashBetweenArchiveWriteAndRowDeleteLosesNothingAndTheNextRunFinishes() async throws {
        try await Self.crashAndRerun(at: "archive-published", rerunArguments: ["--json"], afterCrash: { files in
            #expect(files(".tar.zst").count == 1)  // published, not yet recorded
        })
    }

    @Test func aRunKilledWhileWritingAnArchiveLeavesAPartialFileThatTheNextRunRemoves() async throws {
        try await Self.crashAndRerun(at: "archive-written", afterCrash: { files in
            #expect(files(AtomicFile.partialSuffix).count == 1)
            #expect(files(".tar.zst").isEmpty)
        }, afterRerun: { files in
            #expect(files(AtomicFile.partialSuffix).isEmpty)
        })
    }

    @Test func unarchiveRefusesAMissingOrCorruptArchiveAndChangesNothing() async throws {
        let repository = try RetentionFixtures.temporaryRepository()
        defer { try? FileManager.default.removeItem(atPath: repository) }
        try await PostgresTestDatabase.with { name, db in
            try await RetentionFixtures.seedDemo(db)
            let configuration = try RetentionFixtures.configuration(name, backupRepository: repository)
            #expect(await RetentionFixtures.run(configuration) { $0.scope = .batches }.status == .succeeded)
            let archived = try await Self.archivedBatches(db)
            let state = { try await db.query("SELECT batch_id, archived_at::text, archive_sha256 FROM public.batches ORDER BY id").rows.map(\.values) }
            let rowsBefore = try await RetentionFixtures.requestRows(db)
            let batchesBefore = try await state()
            let environment = ["DATABASE_URL": try #require(configuration.databaseURL), "BACKUP_REPO": repository + "/backups"]

            // Corrupt: one byte changed in the middle of the file.
            let corrupt = String(archived[0].uri.dropFirst("file://".count))
            var bytes = try Data(contentsOf: URL(fileURLWithPath: corrupt))
            bytes[bytes.count / 2] ^= 0xff
            try bytes.write(to: URL(fileURLWithPath: corrupt))
            let refusedCorrupt = try await CLI.run(["batches", "unarchive", archived[0].batchID], environment: environment)
            #expect(refusedCorrupt.status == ExitCode.failure)
            #expect(refusedCorrupt.stderr.contains("corrupt"))
            #expect(refusedCorrupt.stderr.split(separator: "\n").count == 1)

            // Missing.
            try FileManager.default.removeItem(atPath: String(archived[1].uri.dropFirst("file://".count)))
            let refusedMissing = try await CLI.run(["batches", "unarchive", archived[1].batchID], environment: environment)
            #expect(refusedMissing.status == ExitCode.failure)
            #expect(refusedMissing.stderr.contains("missing"))

            // Not archived, and unknown.
            #expect(try await CLI.run(["batches", "unarchive", "demo-batch-015"], environment: environment).status == ExitCode.usage)
            #expect(try await CLI.run(["batches", "unarchive", "no-such-batch"], environment: environment).status == ExitCode.usage)

            #expect(try await RetentionFixtures.requestRows(db) == rowsBefore)
            #expect(try await state() == batchesBefore)

            // An intact archive still restores from the command line.
            let restored = try await CLI.run(["batches", "unarchive", archived[2].batchID], environment: environment)
            #expect(restored.status == ExitCode.ok)
            #expect(restored.stdout.contains("unarchived batch \(archived[2].batchID)"))
        }
    }

    @Test func archivedBatchRowsAreDeletedOnlyWhenAskedAndOnlyPastTheirAge() async throws {
        let repository = try RetentionFixtures.temporaryRepository()
        defer { try? FileManager.default.removeItem(atPath: repository) }
        try await PostgresTestDatabase.with { name, db in
            try await RetentionFixtures.seedDemo(db)
            let configuration = try RetentionFixtures.configuration(name, backupRepository: repository)
            let plain = await RetentionFixtures.run(configuration) { $0.scope = .batches }
            #expect(plain.outcome?.details["deleted"]?["batches"]?.intValue == 0)
            // Demo batches 013 and 014 were archived about three days ago; the 18 just archived, now.
            let report = await RetentionFixtures.run(configuration) { $0.scope = .batches; $0.deleteArchivedBatchesAfterDays = 1 }
            #expect(report.status == .succeeded)
            #expect(report.outcome?.details["deleted"]?["batches"]?.intValue == 2)
            let gone = try await db.query("SELECT count(*) AS n FROM public.batches WHERE batch_id IN ('demo-batch-013', 'demo-batch-014')")
            #expect(try gone.first!.decode(Int64.self, "n") == 0)
            #expect(try await RetentionFixtures.counts(db)["batches"] == 24)
        }
    }
}
