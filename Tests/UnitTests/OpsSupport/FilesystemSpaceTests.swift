import Foundation
import OpsSupport
import Testing

@Suite("FilesystemSpace")
struct FilesystemSpaceTests {
    /// `df -B1 --output=avail,size PATH`: the oracle, as an operator would check.
    static func df(_ path: String) throws -> (available: Int64, size: Int64) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/df")
        process.arguments = ["-B1", "--output=avail,size", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let fields = String(decoding: data, as: UTF8.self).split(separator: "\n").last?.split(separator: " ").compactMap { Int64($0) } ?? []
        try #require(process.terminationStatus == 0 && fields.count == 2)
        return (fields[0], fields[1])
    }

    @Test("agrees with df, also for a path not created yet (its nearest existing parent)",
          arguments: [("/", "/"), ("/tmp", "/tmp"), ("/tmp/no-such-dir-\(UUID().uuidString)/backups", "/tmp")])
    func agreesWithDf(path: String, existing: String) throws {
        let space = try #require(FilesystemSpace.of(path))
        let expected = try Self.df(existing)
        #expect(space.sizeBytes == expected.size)
        // Other processes write meanwhile: free space agrees within 256 MiB.
        #expect(abs(space.availableBytes - expected.available) < 256 << 20, "statvfs \(space.availableBytes), df \(expected.available)")
        #expect(space.availableBytes <= space.sizeBytes)
    }

    @Test("a relative path that does not exist is measured at the working directory; an unreadable parent chain gives nil, not a crash")
    func relativeAndOdd() throws {
        let relative = try #require(FilesystemSpace.of("Backups-\(UUID().uuidString)"))
        #expect(relative.sizeBytes == (try Self.df(".").size))
        #expect(FilesystemSpace.of("") != nil)
        // A file in the way of the path: ENOTDIR walks up to the file's directory.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("fs-space-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: file, contents: Data())
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(FilesystemSpace.of(file + "/under/it")?.sizeBytes == (try Self.df(file).size))
    }
}
