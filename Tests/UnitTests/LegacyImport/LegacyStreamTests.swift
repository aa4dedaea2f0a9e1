import Foundation
@testable import LegacyImport
import Testing

@Suite("LegacyImportStreams") struct LegacyStreamTests {
    @Test func copyBufferEscapesBackslashTabNewlineAndCarriageReturn() {
        var buffer = CopyBuffer()
        buffer.field("a\\b\tc\nd\re ü")
        buffer.tab()
        buffer.null()
        buffer.endRow()
        #expect(String(decoding: buffer.take(), as: UTF8.self) == "a\\\\b\\tc\\nd\\re ü\t\\N\n")
        #expect(buffer.isEmpty)
    }

    @Test func jsonlReaderSplitsLinesAcrossReadsSkipsBlankLinesAndStripsCR() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("jsonl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let long = String(repeating: "x", count: 3 * 1024 * 1024)  // longer than the initial buffer
        let lines = ["{\"a\":1}", "", "   ", "{\"b\":\"\(long)\"}\r", "{\"c\":3}"]
        let path = directory.appendingPathComponent("f.jsonl").path
        try Data((lines.joined(separator: "\n")).utf8).write(to: URL(fileURLWithPath: path))  // no final newline
        let reader = try JSONLReader(path: path, source: "f.jsonl")
        var seen: [(String, Int)] = []
        while let line = try reader.next() { seen.append((String(decoding: line, as: UTF8.self), reader.lineNumber)) }
        #expect(seen.map(\.0) == ["{\"a\":1}", "{\"b\":\"\(long)\"}", "{\"c\":3}"])
        #expect(seen.map(\.1) == [1, 4, 5])
    }

    @Test func aLineOverTheLimitIsRefusedWithItsNumber() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("jsonl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("big.jsonl").path
        var data = Data("{}\n".utf8)
        data.append(Data(repeating: UInt8(ascii: "x"), count: JSONLReader.maxLineBytes + 10))
        try data.write(to: URL(fileURLWithPath: path))
        let reader = try JSONLReader(path: path, source: "big.jsonl")
        _ = try reader.next()
        #expect(throws: ImportRefusal(file: "big.jsonl", line: 2, "line is longer than 16 MiB")) { _ = try reader.next() }
    }
}
