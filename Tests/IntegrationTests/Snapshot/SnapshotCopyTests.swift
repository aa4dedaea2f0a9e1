import Foundation
import Logging
import OpsCore
import OpsSupport
import RedisClient
import Snapshot
import Testing

@Suite("snapshot --copy-to-repo")
struct SnapshotCopyTests {
    @Test func theCopyIsAVerifiableArchiveAndOlderCopiesArePruned() async throws {
        try await SnapshotTestSupport.withServer { server, admin in
            for i in 0..<50 { try await admin.command(["SET", "translation:\(i)", String(repeating: "x", count: i)]) }
            let root = NSTemporaryDirectory() + "snapshot-repo-\(UUID())"
            defer { try? FileManager.default.removeItem(atPath: root) }
            let repository = SnapshotRepository(backupRepository: root)
            // Two older copies: keep-last 2 keeps the newest of them and deletes the oldest.
            try AtomicFile.makeDirectories(repository.directory)
            for id in ["20200101T000000Z", "20200102T000000Z"] {
                try AtomicFile.write(Data("old".utf8), to: repository.directory + "/\(id).tar.zst")
                try AtomicFile.write(Data("{}".utf8), to: repository.directory + "/\(id).manifest.json")
            }

            let options = SnapshotOptions(copyToRepository: true, retention: try GFSPolicy(keepLast: 2), pollInterval: .milliseconds(50))
            let context = JobContext(configuration: try SnapshotTestSupport.configuration(server, backupRepository: root),
                                     logger: Logger(label: "test"), trigger: .manual)
            let outcome = try await SnapshotJob(options: options).run(context)

            let archive = try #require(outcome.details["archive"]?.stringValue)
            #expect(archive.hasPrefix(repository.directory + "/"))
            #expect(archive.hasSuffix(".tar.zst"))
            #expect(outcome.details["pruned"] == .int(1))
            #expect(try repository.entries().map(\.id).count == 2)
            #expect(!FileManager.default.fileExists(atPath: repository.directory + "/20200101T000000Z.tar.zst"))
            #expect(!FileManager.default.fileExists(atPath: repository.directory + "/20200101T000000Z.manifest.json"))
            #expect(FileManager.default.fileExists(atPath: repository.directory + "/20200102T000000Z.tar.zst"))
            #expect(try permissions(archive) == 0o600)
            #expect(try permissions(repository.directory) == 0o700)

            // Oracle: GNU tar lists and extracts it; sha256sum agrees with the manifest; redis-check-rdb reads it.
            let listing = try await SnapshotTestSupport.run("/usr/bin/tar", ["-tf", archive])
            #expect(listing.status == 0)
            #expect(listing.output.split(separator: "\n") == ["dump.rdb", "manifest.json"])
            let extracted = NSTemporaryDirectory() + "snapshot-extract-\(UUID())"
            defer { try? FileManager.default.removeItem(atPath: extracted) }
            try FileManager.default.createDirectory(atPath: extracted, withIntermediateDirectories: true)
            #expect(try await SnapshotTestSupport.run("/usr/bin/tar", ["-xf", archive, "-C", extracted]).status == 0)

            let manifest = try SnapshotManifest.decode(Array(try Data(contentsOf: URL(fileURLWithPath: extracted + "/manifest.json"))))
            let id = (archive as NSString).lastPathComponent.replacingOccurrences(of: ".tar.zst", with: "")
            #expect(manifest.id == id)
            #expect(manifest.server == "redis")
            #expect(manifest.serverURL == "redis://127.0.0.1:\(server.port)")
            var beside = try SnapshotManifest.decode(Array(try Data(contentsOf: URL(fileURLWithPath: repository.directory + "/\(id).manifest.json"))))
            // Beside the archive, the manifest also records the archive as stored (sha256sum is the oracle).
            let stored = try #require(beside.archive)
            #expect(stored.name == "\(id).tar.zst")
            #expect(!stored.encrypted)
            #expect(stored.bytes == outcome.details["archive_bytes"]?.intValue)
            #expect(try await SnapshotTestSupport.run("/usr/bin/sha256sum", [archive]).output.hasPrefix(stored.sha256 + " "))
            beside.archive = nil
            #expect(beside == manifest)
            let file = try #require(manifest.files.first)
            #expect(manifest.files.count == 1)
            #expect(file.name == "dump.rdb")
            let sum = try await SnapshotTestSupport.run("/usr/bin/sha256sum", ["dump.rdb"], in: extracted)
            #expect(sum.output.split(separator: " ").first.map(String.init) == file.sha256)
            let original = try Data(contentsOf: server.directory.appendingPathComponent("dump.rdb"))
            let copy = try Data(contentsOf: URL(fileURLWithPath: extracted + "/dump.rdb"))
            #expect(copy == original)
            #expect(Int64(copy.count) == file.bytes)
            let check = try await SnapshotTestSupport.run("/usr/bin/redis-check-rdb", [extracted + "/dump.rdb"])
            #expect(check.output.contains("50 keys read"))
        }
    }

    @Test func aSnapshotWhoseFilesAreNotOnThisHostIsAClearErrorAndPublishesNothing() async throws {
        let server = try await SnapshotTestSupport.startServer()
        defer { server.stop() }
        let root = NSTemporaryDirectory() + "snapshot-repo-\(UUID())"
        defer { try? FileManager.default.removeItem(atPath: root) }
        // A real snapshot, as a remote server's would look from here: its dir does not exist on this host.
        let result = try await SnapshotTestSupport.trigger(server).run()
        var stale = result
        stale.files = SnapshotFileSet(reportedPath: "/nonexistent/dump.rdb", localFiles: [], unavailableReason: "the server's dir /nonexistent does not exist on this host (is the server remote?)")
        let error = try await #require(throws: OpsError.self) {
            try await SnapshotArchiver(repository: SnapshotRepository(backupRepository: root)).archive(stale)
        }
        #expect(error.code == .jobFailed)
        #expect(error.message.contains("does not exist on this host"))
        #expect(!FileManager.default.fileExists(atPath: root + "/dragonfly"))
    }

    private func permissions(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }
}
