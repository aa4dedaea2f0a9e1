import Foundation
import Testing
import ArchiveIO

/// GNU tar is what an operator reaches for at 3 a.m.: it must list and extract what we write.
@Suite("ArchiveIO and GNU tar")
struct ArchiveTarInteropTests {
    static let tar = "/usr/bin/tar"

    @Test("GNU tar lists and extracts every entry byte for byte", arguments: [ArchiveCompression.zstd(level: 3, threads: 2), .gzip(), .none])
    func gnuTarListsAndExtractsEveryEntry(compression: ArchiveCompression) throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.tar))
        try withArchiveTestDirectory { dir in
            let path = "\(dir)/backup.\(compression.fileExtension)"
            var source = ArchiveTestDataSource(seed: 11)
            let longName = "redis/" + String(repeating: "nested-directory/", count: 7) + "dump.rdb"
            let bodies: [(String, [UInt8])] = [
                ("manifest.json", Array(#"{"ok":true}"#.utf8)),
                ("übersetzungen/français.json", source.bytes(5_000, index: 1)),
                (longName, source.bytes(200_000, index: 0)),
            ]
            let writer = try ArchiveWriter(path: path, compression: compression)
            for (name, body) in bodies {
                try writer.addEntry(name: name, contents: body)
            }
            // A streamed 4 MB entry.
            var streamed = ArchiveTestChecksum()
            var chunk = [UInt8](repeating: 0, count: ArchiveTestDataSource.chunkSize)
            try writer.beginEntry(name: "db.sql", size: Int64(64 * chunk.count))
            for index in 0..<64 {
                source.fill(&chunk, index: index)
                streamed.update(chunk)
                try writer.write(chunk)
            }
            try writer.finishEntry()
            try writer.finish()

            let list = try runArchiveTestProcess(Self.tar, ["-tf", path])
            #expect(list.status == 0, "tar -tf failed: \(list.stderr)")
            #expect(list.stderr.isEmpty, "tar -tf warned: \(list.stderr)")
            let names = String(decoding: list.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
            #expect(names == bodies.map(\.0) + ["db.sql"])

            for (name, body) in bodies {
                let extract = try runArchiveTestProcess(Self.tar, ["-xOf", path, name])
                #expect(extract.status == 0, "tar -xOf \(name) failed: \(extract.stderr)")
                #expect(extract.stderr.isEmpty, "tar -xOf \(name) warned: \(extract.stderr)")
                #expect([UInt8](extract.stdout) == body, "entry \(name) differs")
            }
            let extract = try runArchiveTestProcess(Self.tar, ["-xOf", path, "db.sql"])
            #expect(extract.status == 0, "tar -xOf db.sql failed: \(extract.stderr)")
            var extracted = ArchiveTestChecksum()
            extracted.update([UInt8](extract.stdout))
            #expect(extracted == streamed)
        }
    }

    @Test("Archives GNU tar writes read back with their entries")
    func archivesGnuTarWritesReadBack() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.tar))
        try withArchiveTestDirectory { dir in
            try Data("hello\n".utf8).write(to: URL(fileURLWithPath: "\(dir)/hello.txt"))
            let path = "\(dir)/from-gnu.tar.zst"
            let create = try runArchiveTestProcess(Self.tar, ["--zstd", "-cf", path, "-C", dir, "hello.txt"])
            try #require(create.status == 0, "tar -cf failed: \(create.stderr)")

            let reader = try ArchiveReader(path: path)
            let entry = try #require(try reader.nextEntry())
            #expect(entry.name == "hello.txt")
            #expect(try reader.readAll() == Array("hello\n".utf8))
            #expect(try reader.nextEntry() == nil)
        }
    }
}
