import CLibArchive
import OpsSupport
import struct Foundation.Date
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a tar archive entry by entry, detecting its compression (zstd, gzip, none, and whatever else
/// libarchive decodes), with each body read in chunks into the caller's buffer so memory stays bounded.
///
/// ```swift
/// let reader = try ArchiveReader(path: path)
/// while let entry = try reader.nextEntry() {
///     try reader.readEntry { chunk in try sink(chunk) }   // or reader.readAll() for small entries
/// }
/// ```
///
/// A damaged or truncated file is reported as an `ArchiveError` (`.corrupt`, `.truncated`,
/// `.notAnArchive`), never as a short read: the reader checks that each body has its declared size.
/// Note that tar and the zstd frames libarchive writes carry no checksum of the data itself; damage
/// inside stored data can go unnoticed here, so callers that must prove integrity keep their own
/// checksums (e.g. in a manifest entry).
///
/// All calls block. Use a reader from one thread at a time, off Swift's cooperative pool (see
/// `BlockingIO`). The class is deliberately not `Sendable`: it owns a libarchive handle.
package final class ArchiveReader {
    private let archive: OpaquePointer
    private let label: String
    private var current: (info: ArchiveEntryInfo, read: Int64)?
    private var failure: (any Error)?
    private var atEnd = false
    /// The source's callback data (source initializer), kept alive as long as the handle.
    private let sourceBox: SourceBox?

    /// Opens the archive at `path`.
    /// - Parameters:
    ///   - path: the archive file.
    ///   - blockSize: bytes per read from disk.
    package convenience init(path: String, blockSize: Int = 64 * 1024) throws {
        try self.init(label: path) { archive in
            archive_read_open_filename(archive, path, blockSize)
        }
    }

    /// Reads the archive from an open file descriptor the caller owns and closes.
    /// - Parameters:
    ///   - fileDescriptor: open for reading, positioned where the archive starts.
    ///   - label: names the archive in errors; defaults to `fd N`.
    ///   - blockSize: bytes per read.
    package convenience init(fileDescriptor: Int32, label: String? = nil, blockSize: Int = 64 * 1024) throws {
        try self.init(label: label ?? "fd \(fileDescriptor)") { archive in
            archive_read_open_fd(archive, fileDescriptor, blockSize)
        }
    }

    /// Reads the archive from `source` (a file, an S3 GET, a decrypting source), which the caller
    /// owns and closes. A failure of the source is rethrown as the source's own error.
    /// - Parameters:
    ///   - source: the archive's bytes from the start.
    ///   - label: names the archive in errors (its path or URL).
    ///   - blockSize: bytes per read from the source.
    package convenience init(source: any ByteSource, label: String, blockSize: Int = 64 * 1024) throws {
        let box = SourceBox(source, blockSize: blockSize)
        try self.init(label: label, sourceBox: box) { archive in openRead(archive, from: box) }
    }

    private init(label: String, sourceBox: SourceBox? = nil, open: (OpaquePointer) -> Int32) throws {
        guard let archive = archive_read_new() else {
            throw ArchiveError(.readFailed, archive: label, message: "out of memory (archive_read_new)")
        }
        var opened = false
        defer { if !opened { archive_read_free(archive) } }

        // ARCHIVE_WARN: some filters would use an external program. Fine: ours are built in.
        guard archive_read_support_filter_all(archive) >= ArchiveStatus.warn,
              archive_read_support_format_tar(archive) == ArchiveStatus.ok else {
            throw ArchiveError(.readFailed, archive: label, message: archiveErrorMessage(archive))
        }
        guard withUTF8Locale({ open(archive) }) == ArchiveStatus.ok else {
            if let failure = sourceBox?.failure { throw failure }
            let message = archiveErrorMessage(archive)
            let code = readErrorCode(archive, message: message)
            // A missing or unreadable file is an open failure; anything else is about the content.
            throw ArchiveError(code == .readFailed ? .openFailed : code, archive: label, message: message)
        }
        opened = true
        self.archive = archive
        self.label = label
        self.sourceBox = sourceBox
    }

    deinit {
        archive_read_free(archive)
    }

    /// Moves to the next entry, skipping whatever is unread of the current one.
    /// - Returns: the entry's header, or nil after the last entry.
    package func nextEntry() throws -> ArchiveEntryInfo? {
        if let failure { throw failure }
        if atEnd { return nil }
        current = nil
        var entry: OpaquePointer?
        let status = withUTF8Locale { archive_read_next_header(archive, &entry) }
        if status == ArchiveStatus.eof {
            atEnd = true
            return nil
        }
        // ARCHIVE_WARN: the header was read but something was lossy (e.g. a charset conversion).
        guard status == ArchiveStatus.ok || status == ArchiveStatus.warn, let entry else {
            throw fail(entry: nil)
        }
        let name = withUTF8Locale { () -> String in
            if let utf8 = archive_entry_pathname_utf8(entry) { return String(cString: utf8) }
            if let raw = archive_entry_pathname(entry) { return String(cString: raw) }
            return ""
        }
        let info = ArchiveEntryInfo(
            name: name,
            size: archive_entry_size(entry),
            mode: UInt16(truncatingIfNeeded: archive_entry_perm(entry) & 0o7777),
            modificationTime: Date(timeIntervalSince1970: Double(archive_entry_mtime(entry))),
            isRegularFile: archive_entry_filetype(entry) == regularFileType
        )
        current = (info, 0)
        return info
    }

    /// Reads the next chunk of the current entry's body into `buffer`.
    /// - Returns: the number of bytes read; 0 at the end of the body.
    package func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let failure { throw failure }
        guard let (info, consumed) = current else {
            throw ArchiveError(.invalidState, archive: label, message: "read called with no current entry; call nextEntry first")
        }
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return 0 }
        let count = archive_read_data(archive, base, buffer.count)
        if count < 0 {
            throw fail(entry: info.name)
        }
        if count == 0, consumed != info.size {
            throw record(ArchiveError(.truncated, archive: label, entry: info.name,
                                      message: "the body ends after \(consumed) of \(info.size) bytes"))
        }
        current = (info, consumed + Int64(count))
        return count
    }

    /// Streams the rest of the current entry's body through `body`, one chunk at a time.
    /// - Parameters:
    ///   - chunkSize: the size of the one buffer reused for every chunk.
    ///   - body: gets each chunk; the pointer is valid only during the call.
    package func readEntry(chunkSize: Int = 64 * 1024, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(chunkSize, 1), alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try read(into: buffer)
            if count == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    /// Reads the rest of the current entry's body into memory: for small entries only.
    /// - Parameter limit: entries declared larger than this throw `.entryTooLarge`.
    package func readAll(limit: Int = 64 << 20) throws -> [UInt8] {
        if let failure { throw failure }
        guard let (info, consumed) = current else {
            throw ArchiveError(.invalidState, archive: label, message: "readAll called with no current entry; call nextEntry first")
        }
        let remaining = info.size - consumed
        guard remaining <= Int64(limit) else {
            throw ArchiveError(.entryTooLarge, archive: label, entry: info.name,
                               message: "\(info.size) bytes is over the \(limit)-byte limit for reading into memory")
        }
        return try [UInt8](unsafeUninitializedCapacity: Int(remaining)) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            while initialized < raw.count {
                let count = try read(into: UnsafeMutableRawBufferPointer(rebasing: raw[initialized...]))
                if count == 0 { break }
                initialized += count
            }
            // Reaches the end of the body, so a truncated tail is reported here and not later.
            var probe: UInt8 = 0
            guard try withUnsafeMutableBytes(of: &probe, { try read(into: $0) }) == 0 else {
                throw record(ArchiveError(.corrupt, archive: label, entry: info.name,
                                          message: "the body is longer than its declared \(info.size) bytes"))
            }
        }
    }

    // MARK: - Internals

    /// Builds the error for the failure libarchive just reported and makes it sticky: after
    /// ARCHIVE_FATAL the handle only answers with internal-state errors.
    private func fail(entry: String?) -> any Error {
        if let failure = sourceBox?.failure { return record(failure) }
        let message = archiveErrorMessage(archive)
        return record(ArchiveError(readErrorCode(archive, message: message), archive: label, entry: entry, message: message))
    }

    private func record<E: Error>(_ error: E) -> E {
        failure = error
        return error
    }
}

@available(*, unavailable, message: "ArchiveReader is used from one thread at a time; run the whole job in BlockingIO.run")
extension ArchiveReader: Sendable {}
