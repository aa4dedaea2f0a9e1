import Crypto
import Foundation
import OpsSupport

/// The COPY producer for a session's files: each file is read in 256 KiB pieces and written into the
/// row as it is read, with its SHA-256 computed on the way, so a 10 MB file never sits in memory.
/// A file that is not UTF-8 or holds NUL refuses the session (the thrown refusal aborts the COPY).
///
/// Row: file_type, content_type, locale, relative_path, file_name, format, content, content_hash,
/// size_bytes, source. Without `includeContent` (verify) the content field is empty.
package final class FileRowStream {
    private static let readBytes = 256 * 1024

    private let root: String
    private let files: [SessionPlan.PlannedFile]
    private let includeContent: Bool
    private let progress: ImportProgress?
    private var index = 0
    private var buffer = CopyBuffer()
    private let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: readBytes, alignment: 16)

    private struct Current {
        var file: ReadableFile
        var planned: SessionPlan.PlannedFile
        var hasher = SHA256()
        var validator = UTF8Validator()
        var newlines = 0
        var size: Int64 = 0
    }
    private var current: Current?

    package init(root: String, files: [SessionPlan.PlannedFile], includeContent: Bool, progress: ImportProgress?) {
        self.root = root
        self.files = files
        self.includeContent = includeContent
        self.progress = progress
    }

    deinit {
        readBuffer.deallocate()
        current?.file.close()
    }

    /// The next chunk of COPY data, nil at the end.
    package func next() throws -> [UInt8]? {
        while !buffer.isFull {
            if current == nil {
                guard index < files.count else { break }
                let planned = files[index]
                index += 1
                let file: ReadableFile
                do { file = try ReadableFile(path: root + "/" + planned.source) } catch var refusal as ImportRefusal {
                    refusal.file = planned.source
                    throw refusal
                }
                for value in [planned.fileType, planned.contentType, planned.locale, planned.relativePath, planned.fileName, planned.format] {
                    buffer.field(value)
                    buffer.tab()
                }
                current = Current(file: file, planned: planned)
            }
            try step()
        }
        return buffer.isEmpty ? nil : buffer.take()
    }

    /// Reads one piece of the current file, or ends its row at end of file.
    private func step() throws {
        guard var state = current else { return }
        let n: Int
        do { n = try state.file.read(into: readBuffer) } catch var refusal as ImportRefusal {
            refusal.file = state.planned.source
            throw refusal
        }
        if n == 0 {
            state.file.close()
            current = nil
            guard state.validator.finish() else {
                throw ImportRefusal(file: state.planned.source, line: state.newlines + 1, "is not valid UTF-8 (it ends inside a character); PostgreSQL text needs UTF-8")
            }
            let hash = SHA256Hex.string(state.hasher.finalize())
            buffer.tab()
            buffer.field(hash)
            buffer.tab()
            buffer.field(String(state.size))
            buffer.tab()
            buffer.field(state.planned.source)
            buffer.endRow()
            progress?.add(files: 1)
            return
        }
        let chunk = UnsafeRawBufferPointer(rebasing: readBuffer[0..<n])
        state.size += Int64(n)
        guard state.size <= SessionPlan.maxFileBytes else {
            throw ImportRefusal(file: state.planned.source, "grew over the 10 MiB limit of the files table while being read")
        }
        if let nul = memchr(chunk.baseAddress!, 0, n) {
            let offset = chunk.baseAddress!.distance(to: UnsafeRawPointer(nul))
            let line = state.newlines + Self.newlines(UnsafeRawBufferPointer(rebasing: chunk[0..<offset])) + 1
            throw ImportRefusal(file: state.planned.source, line: line, "holds a NUL byte, which PostgreSQL text cannot store")
        }
        if !state.validator.feed(chunk) {
            let offset = state.validator.firstInvalidOffset! - Int(state.size - Int64(n))
            let line = state.newlines + Self.newlines(UnsafeRawBufferPointer(rebasing: chunk[0..<max(0, offset)])) + 1
            throw ImportRefusal(file: state.planned.source, line: line, "is not valid UTF-8 (byte \(state.validator.firstInvalidOffset!)); PostgreSQL text needs UTF-8")
        }
        state.hasher.update(bufferPointer: chunk)
        if includeContent {
            state.newlines += buffer.escape(chunk)
        } else {
            state.newlines += Self.newlines(chunk)
        }
        progress?.add(bytes: Int64(n))
        current = state
    }

    static func newlines(_ bytes: UnsafeRawBufferPointer) -> Int {
        var count = 0
        for byte in bytes where byte == 0x0A { count += 1 }
        return count
    }
}
