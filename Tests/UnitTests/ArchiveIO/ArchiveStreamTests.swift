import Foundation
import OpsSupport
import Testing
import ArchiveIO
#if canImport(Glibc)
import Glibc
#endif

/// The writer over a `ByteSink` and the readers over a `ByteSource`: what a repository (a local file,
/// an S3 upload, an age stream) gives them. GNU tar and the zstd CLI are the oracles for the bytes.
@Suite("ArchiveIO over byte streams")
struct ArchiveStreamTests {
    static let tar = "/usr/bin/tar"
    static let zstd = "/usr/bin/zstd"

    @Test("An archive written into an AtomicFile sink is what GNU tar extracts, and reads back through a FileReader source",
          arguments: [ArchiveCompression.zstd(level: 3, threads: 2), .gzip(), .none])
    func sinkAndSourceRoundTrip(compression: ArchiveCompression) throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.tar))
        try withArchiveTestDirectory { dir in
            let path = "\(dir)/repo/db/backup.\(compression.fileExtension)"
            var data = ArchiveTestDataSource(seed: 21)
            let small = data.bytes(10_000, index: 1)
            var streamed = ArchiveTestChecksum()
            let file = try AtomicFile(finalPath: path)
            let writer = try ArchiveWriter(sink: file, compression: compression, label: path)
            try writer.addEntry(name: "0000-pre-data.sql", contents: small)
            var chunk = [UInt8](repeating: 0, count: ArchiveTestDataSource.chunkSize)
            try writer.beginEntry(name: "1000-data.sql", size: Int64(40 * chunk.count))
            for index in 0..<40 {
                data.fill(&chunk, index: index)
                streamed.update(chunk)
                try writer.write(chunk)
            }
            try writer.finish()
            // Nothing is visible before the sink is published.
            #expect(!FileManager.default.fileExists(atPath: path))
            try file.publish()

            let listed = try runArchiveTestProcess(Self.tar, ["-tf", path])
            #expect(listed.status == 0, "tar -tf failed: \(listed.stderr)")
            #expect(String(decoding: listed.stdout, as: UTF8.self) == "0000-pre-data.sql\n1000-data.sql\n")
            let extracted = try runArchiveTestProcess(Self.tar, ["-xOf", path, "0000-pre-data.sql"])
            #expect([UInt8](extracted.stdout) == small)

            // A source handing out odd, small reads: libarchive's blocks must not depend on them.
            let source = TricklingSource(try FileReader(path: path), step: 7_777)
            defer { source.close() }
            let reader = try ArchiveReader(source: source, label: path, blockSize: 32 * 1024)
            #expect(try reader.nextEntry()?.name == "0000-pre-data.sql")
            #expect(try reader.readAll() == small)
            let big = try #require(try reader.nextEntry())
            #expect(big.name == "1000-data.sql")
            var read = ArchiveTestChecksum()
            try reader.readEntry { read.update($0) }
            #expect(read == streamed)
            #expect(try reader.nextEntry() == nil)
        }
    }

    @Test("A sink that fails (ENOSPC on /dev/full) surfaces as the sink's own error, and no later call completes the archive")
    func sinkFailureIsTheSinksError() throws {
        let sink = try DescriptorSink(path: "/dev/full")
        defer { sink.discard() }
        let writer = try ArchiveWriter(sink: sink, compression: .none, label: "/dev/full")
        var data = ArchiveTestDataSource(seed: 3)
        var thrown: (any Error)?
        do {
            // More than libarchive's 10 KiB block, so the sink is reached before finish.
            try writer.addEntry(name: "a.sql", contents: data.bytes(100_000))
            try writer.finish()
        } catch {
            thrown = error
        }
        let error = try #require(thrown as? SystemError, "expected the sink's SystemError, got \(String(describing: thrown))")
        #expect(error.errno == ENOSPC)
        #expect(throws: (any Error).self) { try writer.finish() }
    }

    @Test("A source that fails surfaces as the source's own error, naming its path")
    func sourceFailureIsTheSourcesError() throws {
        try withArchiveTestDirectory { dir in
            // read(2) on a directory fails with EISDIR: a real failure of a real source.
            let source = try FileReader(path: dir)
            defer { source.close() }
            #expect {
                _ = try ArchiveReader(source: source, label: dir)
            } throws: { error in
                guard let error = error as? SystemError else { return false }
                return error.errno == EISDIR && "\(error)".contains(dir)
            }
        }
    }

    @Test("A truncated archive read through a source is reported as truncated, never as complete")
    func truncatedThroughSource() throws {
        try withArchiveTestDirectory { dir in
            let path = "\(dir)/cut.tar.zst"
            var data = ArchiveTestDataSource(seed: 5)
            let writer = try ArchiveWriter(path: path, compression: .zstd())
            try writer.addEntry(name: "a.sql", contents: data.bytes(300_000))
            try writer.finish()
            let size = try archiveTestFileSize(path)
            #expect(truncate(path, off_t(size / 2)) == 0)
            let source = try FileReader(path: path)
            defer { source.close() }
            #expect {
                let reader = try ArchiveReader(source: source, label: path)
                while try reader.nextEntry() != nil { try reader.readEntry { _ in } }
            } throws: { error in
                (error as? ArchiveError).map { [.truncated, .corrupt].contains($0.code) } ?? false
            }
        }
    }

    @Test("CompressedStreamReader decompresses what the zstd CLI wrote, read through a source")
    func compressedStreamOverSource() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.zstd))
        try withArchiveTestDirectory { dir in
            var data = ArchiveTestDataSource(seed: 9)
            let plain = data.bytes(500_000, index: 1) + data.bytes(100_000, index: 0)
            try Data(plain).write(to: URL(fileURLWithPath: "\(dir)/old.sql"))
            let zstd = try runArchiveTestProcess(Self.zstd, ["-q", "\(dir)/old.sql", "-o", "\(dir)/old.sql.zst"])
            try #require(zstd.status == 0, "zstd failed: \(zstd.stderr)")
            let source = TricklingSource(try FileReader(path: "\(dir)/old.sql.zst"), step: 1_000)
            defer { source.close() }
            let reader = try CompressedStreamReader(source: source, label: "old.sql.zst")
            var out: [UInt8] = []
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
            defer { buffer.deallocate() }
            while true {
                let n = try reader.read(into: buffer)
                if n == 0 { break }
                out += UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            }
            #expect(out == plain)
        }
    }
}

/// Hands out at most `step` bytes per read of the wrapped source.
private final class TricklingSource: ByteSource {
    let base: any ByteSource
    let step: Int

    init(_ base: any ByteSource, step: Int) {
        self.base = base
        self.step = step
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try base.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<min(step, buffer.count)]))
    }

    func close() { base.close() }
}

/// A sink over a device file, so the failure comes from the kernel.
private final class DescriptorSink: ByteSink {
    let path: String
    let fd: Int32
    private var open = true

    init(path: String) throws {
        self.path = path
        fd = try SystemCall.open(path, O_WRONLY, operation: "open")
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws { try SystemCall.writeAll(fd, bytes, path: path) }
    func publish() throws { discard() }
    func discard() {
        guard open else { return }
        open = false
        SystemCall.close(fd)
    }
}
