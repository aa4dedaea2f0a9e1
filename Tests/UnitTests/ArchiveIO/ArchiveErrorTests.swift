import Foundation
import Testing
import ArchiveIO

@Suite("ArchiveIO errors")
struct ArchiveErrorTests {
    /// Reads every entry to the end, returning the error that stopped it, if any.
    static func readEverything(_ path: String) -> ArchiveError? {
        do {
            let reader = try ArchiveReader(path: path)
            while try reader.nextEntry() != nil {
                try reader.readEntry { _ in }
            }
            return nil
        } catch let error as ArchiveError {
            return error
        } catch {
            Issue.record("unexpected error type: \(error)")
            return nil
        }
    }

    /// An archive of a few entries, big enough that cutting it anywhere lands inside an entry.
    static func writeSample(_ path: String, compression: ArchiveCompression, textOnly: Bool = false) throws {
        var source = ArchiveTestDataSource(seed: 99)
        let writer = try ArchiveWriter(path: path, compression: compression)
        for index in 0..<4 {
            try writer.addEntry(name: "part-\(index).bin", contents: source.bytes(600_000, index: textOnly ? 1 : index))
        }
        try writer.finish()
    }

    @Test("Opening a missing archive fails naming the path")
    func openingMissingArchiveFailsNamingThePath() throws {
        let error = try #require(throws: ArchiveError.self) {
            try ArchiveReader(path: "/nonexistent/backup.tar.zst")
        }
        #expect(error.code == .openFailed)
        #expect(error.description.contains("/nonexistent/backup.tar.zst"))
        #expect(!error.description.contains("\n"))
    }

    @Test("Creating an archive in a missing directory fails naming the path")
    func creatingArchiveInMissingDirectoryFails() throws {
        let error = try #require(throws: ArchiveError.self) {
            try ArchiveWriter(path: "/nonexistent-dir/backup.tar.zst")
        }
        #expect(error.code == .openFailed)
        #expect(error.description == "cannot open archive /nonexistent-dir/backup.tar.zst: No such file or directory")
    }

    @Test("Writing to a descriptor not open for writing fails")
    func writingToReadOnlyDescriptorFails() throws {
        try withArchiveTestDirectory { dir in
            let path = "\(dir)/read-only.tar"
            try Data().write(to: URL(fileURLWithPath: path))
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            try #require(fd >= 0)
            defer { close(fd) }
            let error = try #require(throws: ArchiveError.self) {
                let writer = try ArchiveWriter(fileDescriptor: fd, compression: .none)
                try writer.addEntry(name: "x", contents: [UInt8](repeating: 1, count: 100_000))
                try writer.finish()
            }
            #expect(error.code == .writeFailed)
            #expect(error.description.hasPrefix("cannot write archive fd \(fd)"))
        }
    }

    @Test("Writing fewer bytes than declared is a size mismatch naming the entry", arguments: [ArchiveCompression.zstd(), .none])
    func writingFewerBytesThanDeclaredFails(compression: ArchiveCompression) throws {
        try withArchiveTestDirectory { dir in
            let path = "\(dir)/short.\(compression.fileExtension)"
            let writer = try ArchiveWriter(path: path, compression: compression)
            try writer.beginEntry(name: "db.sql", size: 10)
            try writer.write(Array("12345".utf8))
            let error = try #require(throws: ArchiveError.self) { try writer.finishEntry() }
            #expect(error.code == .sizeMismatch)
            #expect(error.entry == "db.sql")
            #expect(error.description.contains("\"db.sql\""))
            #expect(error.description.contains("declared 10 bytes but only 5"))

            // The writer stays failed: the archive can't be completed around the bad entry.
            #expect(throws: ArchiveError.self) { try writer.finish() }
            #expect(Self.readEverything(path) != nil)
        }
    }

    @Test("Writing more bytes than declared is a size mismatch naming the entry")
    func writingMoreBytesThanDeclaredFails() throws {
        try withArchiveTestDirectory { dir in
            let writer = try ArchiveWriter(path: "\(dir)/long.tar.zst")
            try writer.beginEntry(name: "redis.rdb", size: 4)
            let error = try #require(throws: ArchiveError.self) { try writer.write(Array("12345".utf8)) }
            #expect(error.code == .sizeMismatch)
            #expect(error.entry == "redis.rdb")
            #expect(error.description.contains("declared 4 bytes but 5 were written"))
        }
    }

    @Test("An abandoned writer leaves an archive readers reject, not a padded one")
    func abandonedWriterLeavesIncompleteArchive() throws {
        try withArchiveTestDirectory { dir in
            let path = "\(dir)/abandoned.tar"
            do {
                let writer = try ArchiveWriter(path: path, compression: .none)
                try writer.addEntry(name: "complete", contents: [1, 2, 3])
                try writer.beginEntry(name: "partial", size: 100_000)
                try writer.write([UInt8](repeating: 7, count: 50_000))
                // Dropped without finish(), e.g. because the dump it streams failed.
            }
            let error = try #require(Self.readEverything(path))
            #expect(error.code == .truncated)
            #expect(error.entry == "partial")
        }
    }

    @Test("Calls out of order are rejected")
    func callsOutOfOrderAreRejected() throws {
        try withArchiveTestDirectory { dir in
            let writer = try ArchiveWriter(path: "\(dir)/order.tar.zst")
            let error = try #require(throws: ArchiveError.self) { try writer.write([1]) }
            #expect(error.code == .invalidState)

            let second = try ArchiveWriter(path: "\(dir)/order2.tar.zst")
            try second.finish()
            #expect(throws: ArchiveError.self) { try second.addEntry(name: "late", contents: []) }

            let reader = try ArchiveReader(path: "\(dir)/order2.tar.zst")
            let readError = try #require(throws: ArchiveError.self) { try reader.readAll() }
            #expect(readError.code == .invalidState)
        }
    }

    @Test("Compression levels out of range are unsupported", arguments: [ArchiveCompression.zstd(level: 99), .gzip(level: 12)])
    func compressionLevelsOutOfRangeAreUnsupported(compression: ArchiveCompression) throws {
        try withArchiveTestDirectory { dir in
            let error = try #require(throws: ArchiveError.self) {
                try ArchiveWriter(path: "\(dir)/x.\(compression.fileExtension)", compression: compression)
            }
            #expect(error.code == .unsupportedCompression)
        }
    }

    @Test("An archive cut in half is reported, never read as complete", arguments: [ArchiveCompression.zstd(), .gzip(), .none])
    func archiveCutInHalfIsReported(compression: ArchiveCompression) throws {
        try withArchiveTestDirectory { dir in
            let path = "\(dir)/cut.\(compression.fileExtension)"
            try Self.writeSample(path, compression: compression)
            let size = try archiveTestFileSize(path)
            try #require(truncate(path, off_t(size / 2)) == 0)

            let error = try #require(Self.readEverything(path))
            #expect(error.code == .truncated, "\(error)")
            #expect(error.description.hasPrefix("cannot read archive \(path)"))
        }
    }

    @Test("A damaged compressed archive is reported, never read as intact", arguments: [ArchiveCompression.zstd(), .gzip()])
    func damagedCompressedArchiveIsReported(compression: ArchiveCompression) throws {
        try withArchiveTestDirectory { dir in
            let path = "\(dir)/damaged.\(compression.fileExtension)"
            // Compressible text, so the damage lands in entropy-coded blocks (zstd frames from
            // libarchive carry no checksum; a flip inside a stored raw block would decode silently).
            try Self.writeSample(path, compression: compression, textOnly: true)
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            let middle = bytes.count / 2
            for index in middle..<(middle + 16) { bytes[index] ^= 0x5a }
            try Data(bytes).write(to: URL(fileURLWithPath: path))

            let error = try #require(Self.readEverything(path))
            #expect([ArchiveError.Code.corrupt, .truncated].contains(error.code), "\(error)")
        }
    }

    @Test("A file that is not an archive is reported as such", arguments: ["plain text\nnot a tar\n", ""])
    func fileThatIsNotAnArchiveIsReported(contents: String) throws {
        try withArchiveTestDirectory { dir in
            let path = "\(dir)/notes.txt"
            try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
            let error = try #require(Self.readEverything(path))
            #expect(error.code == .notAnArchive, "\(error)")
            #expect(error.description.contains("expected a tar archive"))
        }
    }

    @Test("readAll refuses entries over its limit")
    func readAllRefusesEntriesOverItsLimit() throws {
        try withArchiveTestDirectory { dir in
            let path = "\(dir)/big.tar.zst"
            let writer = try ArchiveWriter(path: path)
            try writer.addEntry(name: "big", contents: [UInt8](repeating: 0, count: 2_000))
            try writer.finish()
            let reader = try ArchiveReader(path: path)
            _ = try reader.nextEntry()
            let error = try #require(throws: ArchiveError.self) { try reader.readAll(limit: 1_000) }
            #expect(error.code == .entryTooLarge)
            #expect(try reader.readAll(limit: 2_000).count == 2_000)
        }
    }
}
