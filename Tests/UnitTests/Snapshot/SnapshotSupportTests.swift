import Foundation
import OpsCore
@testable import Snapshot
import OpsSupport
import Testing

@Suite("Snapshot support: repository names, Dragonfly file sets")
struct SnapshotSupportTests {
    @Test func repositoryIdsCarryTheirUTCTime() throws {
        let date = Date(timeIntervalSince1970: 1_795_684_440)  // 2026-11-26T09:14:00Z
        let repository = SnapshotRepository(backupRepository: NSTemporaryDirectory() + "/no-such-\(UUID())")
        #expect(try repository.newID(for: date) == "20261126T091400Z")
        #expect(SnapshotRepository.date(ofID: "20261126T091400Z") == date)
        #expect(SnapshotRepository.date(ofID: "20261126T091400Z-2") == date)
        #expect(SnapshotRepository.date(ofID: "20261126T091400Z-x") == nil)
        #expect(SnapshotRepository.date(ofID: "latest") == nil)
    }

    @Test func pruneDeletesArchiveAndManifestAndLeavesForeignFiles() throws {
        let root = NSTemporaryDirectory() + "/snap-repo-\(UUID())"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let repository = SnapshotRepository(backupRepository: root)
        try AtomicFile.makeDirectories(repository.directory)
        let ids = ["20260301T000000Z", "20260302T000000Z", "20260303T000000Z", "20260303T000000Z-2"]
        for id in ids {
            try AtomicFile.write(Data("x".utf8), to: repository.path(id, SnapshotRepository.archiveSuffix))
            try AtomicFile.write(Data("{}".utf8), to: repository.path(id, SnapshotRepository.manifestSuffix))
        }
        try AtomicFile.write(Data("keep me".utf8), to: repository.directory + "/README")
        #expect(try repository.entries().map(\.id) == ["20260303T000000Z-2", "20260303T000000Z", "20260302T000000Z", "20260301T000000Z"])
        let deleted = try repository.prune(try GFSPolicy(keepLast: 2))
        #expect(deleted == ["20260302T000000Z", "20260301T000000Z"])
        let left = try FileManager.default.contentsOfDirectory(atPath: repository.directory).sorted()
        #expect(left == ["20260303T000000Z-2.manifest.json", "20260303T000000Z-2.tar.zst", "20260303T000000Z.manifest.json", "20260303T000000Z.tar.zst", "README"])
    }

    @Test func dragonflySummaryFileBringsItsShardFiles() throws {
        let directory = NSTemporaryDirectory() + "/df-\(UUID())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for name in ["dump-summary.dfs", "dump-0000.dfs", "dump-0001.dfs", "dump-old-0000.dfs", "other-0000.dfs", "dump.rdb"] {
            #expect(FileManager.default.createFile(atPath: directory + "/" + name, contents: Data(name.utf8)))
        }
        let files = SnapshotFileLocator.dragonflyFiles(for: directory + "/dump-summary.dfs")
        #expect(files.map { ($0 as NSString).lastPathComponent } == ["dump-summary.dfs", "dump-0000.dfs", "dump-0001.dfs"])

        let set = try #require(SnapshotFileLocator.locate(kind: .dragonfly, directory: directory, dbfilename: nil,
                                                          lastSavedFile: "dump-summary.dfs", notBefore: Date().timeIntervalSince1970 - 60))
        #expect(set.localFiles.count == 3)
        #expect(set.bytes == Int64("dump-summary.dfs".utf8.count + 2 * "dump-0000.dfs".utf8.count))

        let stale = try #require(SnapshotFileLocator.locate(kind: .dragonfly, directory: directory, dbfilename: nil,
                                                            lastSavedFile: "dump-summary.dfs", notBefore: Date().timeIntervalSince1970 + 3600))
        #expect(stale.localFiles.isEmpty)
        #expect(stale.unavailableReason?.contains("older than the snapshot") == true)
    }

    @Test func optionsThatCannotWorkAreUsageErrors() throws {
        let noWaitCopy = SnapshotOptions(wait: false, copyToRepository: true)
        #expect(throws: OpsError.self) { try noWaitCopy.validate() }
        let keepWithoutCopy = SnapshotOptions(retention: try GFSPolicy(keepLast: 3))
        let error = try #require(throws: OpsError.self) { try keepWithoutCopy.validate() }
        #expect(error.code == .usage)
    }
}
