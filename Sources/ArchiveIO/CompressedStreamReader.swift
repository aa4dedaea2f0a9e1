import CLibArchive
import OpsSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a single file that is not a tar archive, decompressing it if it is compressed (gzip, zstd, or
/// anything else libarchive decodes), e.g. `backup.sql.gz` or `backup.sql.zst`; an uncompressed file
/// is read as is. Memory stays bounded: bytes come in chunks into the caller's buffer.
///
/// Unlike `ArchiveReader` there are no entries and no declared sizes, so a truncated compressed file
/// is reported by the decompressor (gzip checks its trailer; zstd frames written without a checksum
/// may not notice). All calls block: use it off Swift's cooperative pool, from one thread at a time.
package final class CompressedStreamReader {
    private let archive: OpaquePointer
    private let label: String
    private var failure: (any Error)?
    private var atEnd = false
    /// The source's callback data (source initializer), kept alive as long as the handle.
    private let sourceBox: SourceBox?

    /// Opens `path` and detects its compression.
    /// - Parameters:
    ///   - path: the file.
    ///   - blockSize: bytes per read from disk.
    package convenience init(path: String, blockSize: Int = 64 * 1024) throws {
        try self.init(label: path, sourceBox: nil) { archive in archive_read_open_filename(archive, path, blockSize) }
    }

    /// Reads from `source` (a file, an S3 GET, a decrypting source), which the caller owns and closes.
    /// A failure of the source is rethrown as the source's own error.
    /// - Parameters:
    ///   - source: the stream's bytes from the start.
    ///   - label: names the stream in errors (its path or URL).
    ///   - blockSize: bytes per read from the source.
    package convenience init(source: any ByteSource, label: String, blockSize: Int = 64 * 1024) throws {
        let box = SourceBox(source, blockSize: blockSize)
        try self.init(label: label, sourceBox: box) { archive in openRead(archive, from: box) }
    }

    private init(label path: String, sourceBox: SourceBox?, open: (OpaquePointer) -> Int32) throws {
        guard let archive = archive_read_new() else {
            throw ArchiveError(.readFailed, archive: path, message: "out of memory (archive_read_new)")
        }
        var opened = false
        defer { if !opened { archive_read_free(archive) } }
        // The raw format turns the (decompressed) stream into one entry; the empty format accepts an
        // empty file.
        guard archive_read_support_filter_all(archive) >= ArchiveStatus.warn,
              archive_read_support_format_raw(archive) == ArchiveStatus.ok,
              archive_read_support_format_empty(archive) == ArchiveStatus.ok else {
            throw ArchiveError(.readFailed, archive: path, message: archiveErrorMessage(archive))
        }
        guard withUTF8Locale({ open(archive) }) == ArchiveStatus.ok else {
            if let failure = sourceBox?.failure { throw failure }
            let message = archiveErrorMessage(archive)
            let code = readErrorCode(archive, message: message)
            throw ArchiveError(code == .readFailed ? .openFailed : code, archive: path, message: message)
        }
        var entry: OpaquePointer?
        let status = archive_read_next_header(archive, &entry)
        if status == ArchiveStatus.eof {
            atEnd = true
        } else if status != ArchiveStatus.ok && status != ArchiveStatus.warn {
            if let failure = sourceBox?.failure { throw failure }
            let message = archiveErrorMessage(archive)
            throw ArchiveError(readErrorCode(archive, message: message), archive: path, message: message)
        }
        opened = true
        self.archive = archive
        self.label = path
        self.sourceBox = sourceBox
    }

    deinit {
        archive_read_free(archive)
    }

    /// Reads the next decompressed bytes into `buffer`.
    /// - Returns: the number of bytes read; 0 at the end of the stream.
    package func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let failure { throw failure }
        if atEnd { return 0 }
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return 0 }
        let count = archive_read_data(archive, base, buffer.count)
        if count < 0 {
            if let sourceFailure = sourceBox?.failure {
                failure = sourceFailure
                throw sourceFailure
            }
            let message = archiveErrorMessage(archive)
            let error = ArchiveError(readErrorCode(archive, message: message), archive: label, message: message)
            failure = error
            throw error
        }
        if count == 0 { atEnd = true }
        return count
    }
}

@available(*, unavailable, message: "CompressedStreamReader is used from one thread at a time")
extension CompressedStreamReader: Sendable {}
