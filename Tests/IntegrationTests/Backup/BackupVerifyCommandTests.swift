@testable import ArchiveIO
@testable import Backup
import Foundation
import Testing

/// `backup verify` through the binary on damaged archives (issue 14): a verifier that always says
/// "intact" must fail here. Each damage is exit 1, names the backup, and writes no `.verified.json`.
@Suite("backup verify through the binary on damaged archives", .serialized)
struct BackupVerifyCommandTests {
    private static func withBackup(_ body: (_ entry: BackupRepository.Entry, _ environment: [String: String]) async throws -> Void) async throws {
        let repository = try BackupTestSupport.temporaryRepository()
        defer { try? FileManager.default.removeItem(atPath: repository) }
        try await PostgresTestDatabase.with(migrated: true) { source, connection in
            try await BackupTestSupport.seed(connection, awkward: false)
            let environment = ["DATABASE_URL": try BackupTestSupport.url(source), "BACKUP_REPO": repository]
            let created = try await CLI.run(["backup", "create"], environment: environment)
            try #require(created.status == 0, "\(created.stderr)")
            let entry = try #require(try BackupRepository(root: repository).list().first)
            try await body(entry, environment)
        }
    }

    /// Replaces the archive with `damaged`, verifies it, restores the original.
    private static func verifyDamaged(_ entry: BackupRepository.Entry, _ environment: [String: String], _ damaged: Data,
                                      restoreTest: Bool = false) async throws -> CLI.Result {
        let original = try Data(contentsOf: URL(fileURLWithPath: entry.archivePath))
        try damaged.write(to: URL(fileURLWithPath: entry.archivePath))
        defer { try? original.write(to: URL(fileURLWithPath: entry.archivePath)) }
        let result = try await CLI.run(["backup", "verify", entry.id] + (restoreTest ? ["--restore-test"] : []), environment: environment)
        #expect(!FileManager.default.fileExists(atPath: entry.verifiedPath), "a damaged backup must not be marked verified")
        return result
    }

    @Test func aFlippedBitATruncationAndAMissingMemberAreExitOneAndNotMarkedVerified() async throws {
        try await Self.withBackup { entry, environment in
            let original = try Data(contentsOf: URL(fileURLWithPath: entry.archivePath))

            var flipped = original
            flipped[flipped.count / 2] ^= 0x10
            let flip = try await Self.verifyDamaged(entry, environment, flipped)
            #expect(flip.status == 1, "\(flip.stdout)\n\(flip.stderr)")
            #expect(flip.stderr.contains(entry.id), "\(flip.stderr)")
            #expect(!flip.stdout.contains("intact"))

            let cut = try await Self.verifyDamaged(entry, environment, original.prefix(original.count * 6 / 10))
            #expect(cut.status == 1, "\(cut.stdout)\n\(cut.stderr)")
            #expect(!cut.stdout.contains("intact"))

            // Rewritten without one data member (the manifest still lists it).
            let dropped = try #require(entry.manifest.members.first { $0.kind == .data }).name
            let rewritten = entry.archivePath + ".rewritten"
            do {
                let reader = try ArchiveReader(path: entry.archivePath)
                let writer = try ArchiveWriter(path: rewritten)
                while let member = try reader.nextEntry() {
                    let body = try reader.readAll()
                    if member.name != dropped { try writer.addEntry(name: member.name, contents: body) }
                }
                try writer.finish()
            }
            defer { try? FileManager.default.removeItem(atPath: rewritten) }
            let missing = try await Self.verifyDamaged(entry, environment, try Data(contentsOf: URL(fileURLWithPath: rewritten)))
            #expect(missing.status == 1, "\(missing.stdout)\n\(missing.stderr)")
            #expect(missing.stderr.contains("member \(dropped) listed in the manifest is missing"), "\(missing.stderr)")

            // The intact archive still verifies and is then marked verified: the tests above saw a real verifier.
            let intact = try await CLI.run(["backup", "verify", entry.id], environment: environment)
            #expect(intact.status == 0, "\(intact.stderr)")
            #expect(FileManager.default.fileExists(atPath: entry.verifiedPath))
        }
    }
}
