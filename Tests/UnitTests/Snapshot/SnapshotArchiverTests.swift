import Foundation
import OpsCore
@testable import Snapshot
import OpsSupport
import Testing

@Suite("Snapshot archiver: Dragonfly DF file sets")
struct SnapshotArchiverTests {
    @Test func aSummaryAndItsShardsArePackedWithMatchingChecksums() async throws {
        let root = NSTemporaryDirectory() + "snapshot-archiver-\(UUID())"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let data = root + "/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        // Shards larger than the archiver's 1 MiB read buffer, with distinct contents.
        let contents: [String: Data] = [
            "dump-summary.dfs": Data("summary".utf8),
            "dump-0000.dfs": Data((0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }),
            "dump-0001.dfs": Data((0..<(1 << 20) + 7).map { UInt8(truncatingIfNeeded: $0 &* 7) }),
        ]
        for (name, bytes) in contents { try bytes.write(to: URL(fileURLWithPath: data + "/" + name)) }
        let files = try #require(SnapshotFileLocator.locate(kind: .dragonfly, directory: data, dbfilename: nil,
                                                            lastSavedFile: data + "/dump-summary.dfs", notBefore: Date().timeIntervalSince1970 - 5))
        #expect(files.localFiles.count == 3)
        let result = SnapshotResult(
            server: "redis://df.internal:6379", serverInfo: SnapshotServer(info: ["dragonfly_version": "df-v1.21.2"]),
            format: .df, triggerTime: Date().timeIntervalSince1970, waitedForRunningSave: false, loadingRetries: 0,
            confirmed: true, saveTime: 1_795_680_000, duration: .seconds(2), serverDurationSeconds: 2, files: files)

        let published = try await SnapshotArchiver(repository: SnapshotRepository(backupRepository: root + "/repo")).archive(result)

        #expect(published.manifest.server == "dragonfly")
        #expect(published.manifest.snapshotFormat == "df")
        #expect(published.manifest.files.map(\.name) == ["dump-summary.dfs", "dump-0000.dfs", "dump-0001.dfs"])
        // Oracle: GNU tar unpacks it and sha256sum agrees with every manifest entry.
        let out = root + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        #expect(try run("/usr/bin/tar", ["-xf", published.archivePath, "-C", out]).status == 0)
        for file in published.manifest.files {
            let sum = try run("/usr/bin/sha256sum", [out + "/" + file.name]).output
            #expect(sum.hasPrefix(file.sha256 + " "), "\(file.name)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/" + file.name)) == contents[file.name])
        }
        let inside = try SnapshotManifest.decode(Array(try Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json"))))
        #expect(inside == published.manifest)
        // Nothing is left behind under a temporary name.
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/repo/dragonfly").filter { $0.hasSuffix(AtomicFile.partialSuffix) }.isEmpty)
    }

    private func run(_ program: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
