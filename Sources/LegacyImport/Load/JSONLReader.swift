#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a JSONL file line by line with a bounded buffer: a line is handed out as a view into the
/// buffer, valid until the next call. Lines may be up to `maxLineBytes`; blank lines are skipped.
package final class JSONLReader {
    package static let maxLineBytes = 16 * 1024 * 1024
    private static let initialCapacity = 1024 * 1024

    private let file: ReadableFile
    private let source: String
    private var storage: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private var scanned = 0
    private var atEOF = false
    /// 1-based number of the line last returned.
    package private(set) var lineNumber = 0
    package private(set) var bytesRead: Int64 = 0

    package init(path: String, source: String) throws {
        file = try ReadableFile(path: path)
        self.source = source
        storage = .allocate(byteCount: Self.initialCapacity, alignment: 16)
    }

    deinit {
        storage.deallocate()
        file.close()
    }

    /// The next non-blank line without its newline (and a trailing carriage return), or nil at the end.
    package func next() throws -> UnsafeRawBufferPointer? {
        while true {
            guard let line = try rawLine() else { return nil }
            lineNumber += 1
            var length = line.count
            if length > 0, line[length - 1] == 0x0D { length -= 1 }
            var blank = true
            for k in 0..<length where line[k] != 0x20 && line[k] != 0x09 { blank = false; break }
            if blank { continue }
            return UnsafeRawBufferPointer(rebasing: line[0..<length])
        }
    }

    private func rawLine() throws -> UnsafeRawBufferPointer? {
        while true {
            if end > scanned, let found = memchr(storage.baseAddress! + scanned, 0x0A, end - scanned) {
                let newline = storage.baseAddress!.distance(to: found)
                let line = UnsafeRawBufferPointer(rebasing: storage[start..<newline])
                start = newline + 1
                scanned = start
                return line
            }
            scanned = end
            if atEOF {
                guard end > start else { return nil }
                let line = UnsafeRawBufferPointer(rebasing: storage[start..<end])
                start = end
                return line
            }
            if start > 0 {
                // Move the partial line to the front.
                let pending = end - start
                if pending > 0 { storage.baseAddress!.copyMemory(from: storage.baseAddress! + start, byteCount: pending) }
                end = pending
                scanned = pending
                start = 0
            }
            if end == storage.count {
                guard storage.count < Self.maxLineBytes else {
                    throw ImportRefusal(file: source, line: lineNumber + 1, "line is longer than \(Self.maxLineBytes / 1024 / 1024) MiB")
                }
                let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: min(storage.count * 2, Self.maxLineBytes), alignment: 16)
                grown.baseAddress!.copyMemory(from: storage.baseAddress!, byteCount: end)
                storage.deallocate()
                storage = grown
            }
            let n = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: storage[end...]))
            if n == 0 { atEOF = true } else { end += n; bytesRead += Int64(n) }
        }
    }
}
