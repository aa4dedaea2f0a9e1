import Foundation
import OpsSupport
import Testing
import ArchiveIO

@Suite("ArchiveIO round trip")
struct ArchiveRoundTripTests {
    static let compressions: [ArchiveCompression] = [.zstd(), .zstd(level: 3, threads: 2), .gzip(), .none]

    /// 800 chunks of 64 KiB plus an odd tail: about 50 MB, not a multiple of any block size.
    static let largeChunkCount = 800
    static let largeTail = 12_345
    static let largeSize = Int64(largeChunkCount * ArchiveTestDataSource.chunkSize + largeTail)

    static let longName = "translations/" + String(repeating: "very-long-directory-name/", count: 6) + "de.json"
    static let unicodeName = "übersetzungen/日本語/français.json"
    static let mtime = Date(timeIntervalSince1970: 1_700_000_000)

    @Test("Entries written in chunks read back byte for byte, with their metadata", arguments: compressions)
    func entriesRoundTripWithTheirBytesAndMetadata(compression: ArchiveCompression) throws {
        try withArchiveTestDirectory { dir in
            let path = "\(dir)/backup.\(compression.fileExtension)"
            var source = ArchiveTestDataSource(seed: 7)
            let manifest = Array(#"{"version":1,"tables":["files","requests"]}"#.utf8)
            let unicodeBody = source.bytes(3_000, index: 1)
            let longBody = source.bytes(70_000, index: 0)

            let writer = try ArchiveWriter(path: path, compression: compression)
            try writer.addEntry(name: "manifest.json", contents: manifest, mode: 0o644, modificationTime: Self.mtime)
            try writer.addEntry(name: "empty", contents: [], modificationTime: Self.mtime)
            try writer.addEntry(name: Self.unicodeName, contents: unicodeBody, modificationTime: Self.mtime)
            try writer.addEntry(name: Self.longName, contents: longBody, modificationTime: Self.mtime)

            // The large body is generated and written one 64 KiB chunk at a time.
            var written = ArchiveTestChecksum()
            var chunk = [UInt8](repeating: 0, count: ArchiveTestDataSource.chunkSize)
            try writer.beginEntry(name: "db.sql", size: Self.largeSize, modificationTime: Self.mtime)
            for index in 0..<Self.largeChunkCount {
                source.fill(&chunk, index: index)
                written.update(chunk)
                try writer.write(chunk)
                if index == Self.largeChunkCount * 3 / 4 {
                    // Compressed output is already on disk while the entry is still open: the writer
                    // streams the body, it does not collect it.
                    #expect(try archiveTestFileSize(path) > 1 << 20)
                }
            }
            let tail = source.bytes(Self.largeTail, index: 0)
            written.update(tail)
            try tail.withUnsafeBytes { try writer.write($0) }
            try writer.finishEntry()
            try writer.addEntry(name: "after-large", contents: Array("last".utf8), modificationTime: Self.mtime)
            try writer.finish()

            let reader = try ArchiveReader(path: path)
            var entries: [ArchiveEntryInfo] = []
            var bodies: [String: [UInt8]] = [:]
            var read = ArchiveTestChecksum()
            var largestChunk = 0
            while let entry = try reader.nextEntry() {
                entries.append(entry)
                if entry.name == "db.sql" {
                    try reader.readEntry(chunkSize: 64 * 1024) { bytes in
                        largestChunk = max(largestChunk, bytes.count)
                        read.update(bytes)
                    }
                } else {
                    bodies[entry.name] = try reader.readAll()
                }
            }

            #expect(entries.map(\.name) == ["manifest.json", "empty", Self.unicodeName, Self.longName, "db.sql", "after-large"])
            #expect(entries.map(\.size) == [Int64(manifest.count), 0, 3_000, 70_000, Self.largeSize, 4])
            #expect(entries.map(\.mode) == [0o644, 0o600, 0o600, 0o600, 0o600, 0o600])
            #expect(entries.allSatisfy { $0.modificationTime == Self.mtime && $0.isRegularFile })
            #expect(bodies["manifest.json"] == manifest)
            #expect(bodies["empty"] == [])
            #expect(bodies[Self.unicodeName] == unicodeBody)
            #expect(bodies[Self.longName] == longBody)
            #expect(bodies["after-large"] == Array("last".utf8))
            #expect(read == written)
            #expect(read.count == Self.largeSize)
            #expect(largestChunk <= 64 * 1024)
        }
    }

    @Test("A writer on a caller's file descriptor leaves it open for fsync and rename", arguments: [ArchiveCompression.zstd(), .none])
    func writerOnFileDescriptorLeavesItOpen(compression: ArchiveCompression) throws {
        try withArchiveTestDirectory { dir in
            let temporary = "\(dir)/.backup.partial"
            let final = "\(dir)/backup.\(compression.fileExtension)"
            let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            try #require(fd >= 0)
            do {
                let writer = try ArchiveWriter(fileDescriptor: fd, compression: compression, label: final)
                try writer.addEntry(name: "a.txt", contents: Array("alpha".utf8))
                try writer.finish()
            }
            #expect(fsync(fd) == 0)
            #expect(close(fd) == 0)
            #expect(rename(temporary, final) == 0)

            let readFD = open(final, O_RDONLY | O_CLOEXEC)
            try #require(readFD >= 0)
            defer { close(readFD) }
            let reader = try ArchiveReader(fileDescriptor: readFD)
            let entry = try #require(try reader.nextEntry())
            #expect(entry.name == "a.txt")
            #expect(try reader.readAll() == Array("alpha".utf8))
            #expect(try reader.nextEntry() == nil)
            #expect(try reader.nextEntry() == nil)
        }
    }

    @Test("An archive of no entries reads back as empty")
    func archiveWithoutEntriesReadsBackEmpty() throws {
        try withArchiveTestDirectory { dir in
            let path = "\(dir)/empty.tar.zst"
            try ArchiveWriter(path: path).finish()
            let reader = try ArchiveReader(path: path)
            #expect(try reader.nextEntry() == nil)
        }
    }

    @Test("Entries left unread are skipped by nextEntry")
    func unreadEntriesAreSkipped() throws {
        try withArchiveTestDirectory { dir in
            let path = "\(dir)/skip.tar.gz"
            var source = ArchiveTestDataSource(seed: 3)
            let writer = try ArchiveWriter(path: path, compression: .gzip(level: 1))
            try writer.addEntry(name: "big", contents: source.bytes(1 << 20))
            try writer.addEntry(name: "small", contents: Array("x".utf8))
            try writer.finish()

            let reader = try ArchiveReader(path: path)
            #expect(try reader.nextEntry()?.name == "big")
            var buffer = [UInt8](repeating: 0, count: 100)
            #expect(try buffer.withUnsafeMutableBytes { try reader.read(into: $0) } == 100)
            #expect(try reader.nextEntry()?.name == "small")
            #expect(try reader.readAll() == Array("x".utf8))
        }
    }

    @Test("BlockingIO runs a whole archive job on its own thread and returns its result")
    func blockingIORunsArchiveJobOnItsOwnThread() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("archiveio-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/job.tar.zst"

        let threadName = try await BlockingIO.run(name: "archive-test") { () -> String in
            let writer = try ArchiveWriter(path: path, compression: .zstd(level: 1, threads: 2))
            try writer.addEntry(name: "x", contents: [1, 2, 3])
            try writer.finish()
            return BlockingIO.currentThreadName
        }
        #expect(threadName == "archive-test")

        let bytes = try await BlockingIO.run { () -> [UInt8] in
            let reader = try ArchiveReader(path: path)
            _ = try reader.nextEntry()
            return try reader.readAll()
        }
        #expect(bytes == [1, 2, 3])

        await #expect(throws: ArchiveError.self) {
            try await BlockingIO.run { _ = try ArchiveReader(path: "\(directory)/missing.tar") }
        }
    }
}
