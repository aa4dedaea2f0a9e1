import CLibArchive
import OpsSupport
import struct Foundation.Date
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a tar archive (pax restricted: plain ustar unless a name or size needs a pax header, so GNU
/// tar reads it), compressed with zstd, gzip or nothing, streaming each entry's body in chunks.
///
/// Tar puts each entry's size in the header before its body, so `beginEntry` takes the size up front
/// and `finishEntry` checks that exactly that many bytes were written.
///
/// ```swift
/// let writer = try ArchiveWriter(fileDescriptor: fd, compression: .zstd(level: 3, threads: 2))
/// try writer.beginEntry(name: "db.sql", size: dumpSize)
/// while let chunk = nextChunk() { try writer.write(chunk) }
/// try writer.finishEntry()
/// try writer.finish()       // then the caller fsyncs fd, closes it and renames the file into place
/// ```
///
/// All calls block (disk I/O, compression). Use a writer from one thread at a time, and not from Swift's
/// cooperative pool: run the whole job in `BlockingIO.run` or on a dedicated thread. The class is
/// deliberately not `Sendable`: it owns a libarchive handle, which has no locking.
///
/// After any error the writer is failed: every later call throws, and the archive is never completed
/// (no end-of-archive marker is written), so a reader reports the file as truncated instead of
/// accepting a half-written entry.
package final class ArchiveWriter {
    private let archive: OpaquePointer
    /// The path, or `fd N`: names the archive in errors.
    private let label: String
    /// Set when the writer opened the file itself (path initializer): it fsyncs and closes it.
    private var ownedFileDescriptor: Int32?
    /// The sink's callback data (sink initializer), kept alive as long as the handle.
    private let sinkBox: SinkBox?
    private var state: State = .ready

    private enum State {
        case ready
        case inEntry(name: String, declared: Int64, written: Int64)
        case finished
        case failed(any Error)
    }

    /// Writes to an open file descriptor the caller owns: the writer neither fsyncs nor closes it, so
    /// the caller can `fsync`, `close` and `rename` for atomic publication after `finish()`.
    /// - Parameters:
    ///   - fileDescriptor: open for writing, positioned where the archive starts.
    ///   - compression: `.zstd()` unless told otherwise.
    ///   - label: names the archive in errors (e.g. the final path); defaults to `fd N`.
    package convenience init(fileDescriptor: Int32, compression: ArchiveCompression = .zstd(), label: String? = nil) throws {
        try self.init(label: label ?? "fd \(fileDescriptor)", compression: compression, sinkBox: nil) { archive in
            archive_write_open_fd(archive, fileDescriptor)
        }
    }

    /// Writes the archive (compressed) into `sink`: an `AtomicFile`, an S3 upload, an encrypting
    /// sink. `finish()` flushes the last block into it; publishing the sink (or discarding it on
    /// failure) is the caller's job. A failure of the sink is rethrown as the sink's own error.
    /// - Parameters:
    ///   - sink: where the archive's bytes go, in order.
    ///   - compression: `.zstd()` unless told otherwise.
    ///   - label: names the archive in errors (the final path or URL).
    package convenience init(sink: any ByteSink, compression: ArchiveCompression = .zstd(), label: String) throws {
        let box = SinkBox(sink)
        try self.init(label: label, compression: compression, sinkBox: box) { archive in
            archive_write_open(archive, Unmanaged.passUnretained(box).toOpaque(), nil, sinkWriteCallback, nil)
        }
    }

    private init(label: String, compression: ArchiveCompression, sinkBox: SinkBox?, open: (OpaquePointer) -> Int32) throws {
        guard let archive = archive_write_new() else {
            throw ArchiveError(.writeFailed, archive: label, message: "out of memory (archive_write_new)")
        }
        var opened = false
        defer { if !opened { archive_write_free(archive) } }

        try withUTF8Locale {
            try Self.configure(archive, compression: compression, label: label)
            guard open(archive) == ArchiveStatus.ok else {
                if let failure = sinkBox?.failure { throw failure }
                throw ArchiveError(.openFailed, archive: label, message: archiveErrorMessage(archive))
            }
        }
        opened = true
        self.archive = archive
        self.label = label
        self.sinkBox = sinkBox
    }

    /// Creates (or truncates) the file at `path` and writes the archive there; `finish()` fsyncs and
    /// closes it. Publishing atomically (write to a temporary name, then rename) is the caller's job.
    /// - Parameters:
    ///   - path: the file to create.
    ///   - compression: `.zstd()` unless told otherwise.
    ///   - permissions: of a newly created file; `0o600`, as backups hold user data.
    package convenience init(path: String, compression: ArchiveCompression = .zstd(), permissions: UInt16 = 0o600) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode_t(permissions))
        guard fd >= 0 else {
            throw ArchiveError(.openFailed, archive: path, message: systemErrorMessage(errno))
        }
        do {
            try self.init(fileDescriptor: fd, compression: compression, label: path)
        } catch {
            close(fd)
            throw error
        }
        ownedFileDescriptor = fd
    }

    deinit {
        if case .finished = state {} else {
            // Never let archive_write_free close the archive cleanly: that would pad an unfinished
            // entry with zeros and write a valid end marker over a failed or abandoned job.
            archive_write_fail(archive)
        }
        archive_write_free(archive)
        if let fd = ownedFileDescriptor { close(fd) }
    }

    /// Starts an entry whose body is then streamed with `write` and closed with `finishEntry`.
    /// An entry still open is finished first (and its size checked).
    /// - Parameters:
    ///   - name: the path inside the archive (UTF-8; long names get a pax header).
    ///   - size: the exact number of body bytes that will follow.
    ///   - mode: permission bits; `0o600` by default.
    ///   - modificationTime: stored in whole seconds; now by default.
    package func beginEntry(name: String, size: Int64, mode: UInt16 = 0o600, modificationTime: Date = Date()) throws {
        if case .inEntry = state { try finishEntry() }
        try throwIfUnusable(entry: name)
        guard !name.isEmpty, size >= 0 else {
            throw fail(ArchiveError(.invalidState, archive: label, entry: name,
                                    message: "an entry needs a non-empty name and a size >= 0 (got \(size))"))
        }
        guard utf8LocaleAvailable || name.utf8.allSatisfy({ $0 < 0x80 }) else {
            throw fail(ArchiveError(.writeFailed, archive: label, entry: name,
                                    message: "non-ASCII entry names need the C.UTF-8 locale, which is not installed"))
        }
        guard let entry = archive_entry_new() else {
            throw fail(ArchiveError(.writeFailed, archive: label, entry: name, message: "out of memory (archive_entry_new)"))
        }
        defer { archive_entry_free(entry) }
        let seconds = modificationTime.timeIntervalSince1970.rounded(.down)
        let status = withUTF8Locale {
            archive_entry_set_pathname_utf8(entry, name)
            archive_entry_set_filetype(entry, regularFileType)
            archive_entry_set_perm(entry, mode_t(mode & 0o7777))
            archive_entry_set_size(entry, size)
            archive_entry_set_mtime(entry, time_t(seconds), 0)
            return archive_write_header(archive, entry)
        }
        guard status == ArchiveStatus.ok else {
            throw fail(writeFailure(entry: name))
        }
        state = .inEntry(name: name, declared: size, written: 0)
    }

    /// Appends bytes to the open entry's body.
    /// - Parameter bytes: the next chunk; the total over all chunks must equal the declared size.
    package func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard case .inEntry(let name, let declared, let written) = state else {
            try throwIfUnusable(entry: nil)
            throw fail(ArchiveError(.invalidState, archive: label, message: "write called with no open entry; call beginEntry first"))
        }
        let count = Int64(bytes.count)
        guard written + count <= declared else {
            throw fail(ArchiveError(.sizeMismatch, archive: label, entry: name,
                                    message: "declared \(declared) bytes but \(written + count) were written"))
        }
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        var offset = 0
        while offset < bytes.count {
            let result = archive_write_data(archive, base + offset, bytes.count - offset)
            guard result > 0 else {
                throw fail(writeFailure(entry: name))
            }
            offset += result
        }
        state = .inEntry(name: name, declared: declared, written: written + count)
    }

    /// Appends bytes to the open entry's body.
    package func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Closes the open entry, checking that its body had exactly the declared size.
    package func finishEntry() throws {
        guard case .inEntry(let name, let declared, let written) = state else {
            try throwIfUnusable(entry: nil)
            throw fail(ArchiveError(.invalidState, archive: label, message: "finishEntry called with no open entry"))
        }
        guard written == declared else {
            throw fail(ArchiveError(.sizeMismatch, archive: label, entry: name,
                                    message: "declared \(declared) bytes but only \(written) were written"))
        }
        guard archive_write_finish_entry(archive) == ArchiveStatus.ok else {
            throw fail(writeFailure(entry: name))
        }
        state = .ready
    }

    /// Adds a whole entry from bytes already in memory (manifests, small metadata).
    package func addEntry(name: String, contents: [UInt8], mode: UInt16 = 0o600, modificationTime: Date = Date()) throws {
        try beginEntry(name: name, size: Int64(contents.count), mode: mode, modificationTime: modificationTime)
        try write(contents)
        try finishEntry()
    }

    /// Finishes any open entry, writes the end-of-archive marker and flushes the compressor. When the
    /// writer opened the file itself, also fsyncs and closes it.
    package func finish() throws {
        if case .inEntry = state { try finishEntry() }
        try throwIfUnusable(entry: nil)
        guard archive_write_close(archive) == ArchiveStatus.ok else {
            throw fail(writeFailure(entry: nil))
        }
        if let fd = ownedFileDescriptor {
            ownedFileDescriptor = nil
            let synced = fsync(fd) == 0 ? 0 : errno
            let closed = close(fd) == 0 ? 0 : errno
            if synced != 0 || closed != 0 {
                throw fail(ArchiveError(.writeFailed, archive: label,
                                        message: "\(synced != 0 ? "fsync" : "close"): \(systemErrorMessage(synced != 0 ? synced : closed))"))
            }
        }
        state = .finished
    }

    // MARK: - Internals

    private static func configure(_ archive: OpaquePointer, compression: ArchiveCompression, label: String) throws {
        guard archive_write_set_format_pax_restricted(archive) == ArchiveStatus.ok else {
            throw ArchiveError(.writeFailed, archive: label, message: archiveErrorMessage(archive))
        }
        func unsupported() -> ArchiveError {
            ArchiveError(.unsupportedCompression, archive: label,
                         message: "\(compression): \(archiveErrorMessage(archive))")
        }
        func option(_ filter: String, _ key: String, _ value: Int) throws {
            guard archive_write_set_filter_option(archive, filter, key, String(value)) == ArchiveStatus.ok else {
                throw unsupported()
            }
        }
        switch compression.kind {
        case .none:
            guard archive_write_add_filter_none(archive) == ArchiveStatus.ok else { throw unsupported() }
        case .gzip(let level):
            // ARCHIVE_WARN means "using the external gzip program": slower, still correct.
            guard archive_write_add_filter_gzip(archive) >= ArchiveStatus.warn else { throw unsupported() }
            try option("gzip", "compression-level", level)
        case .zstd(let level, let threads):
            guard archive_write_add_filter_zstd(archive) >= ArchiveStatus.warn else { throw unsupported() }
            try option("zstd", "compression-level", level)
            if threads > 0 { try option("zstd", "threads", threads) }
        }
        if compression.kind != .none {
            // Tar pads its last record to 10 KiB; after a compressor the padding is only noise.
            archive_write_set_bytes_in_last_block(archive, 1)
        }
    }

    /// Throws the stored failure, or `invalidState` once the writer is finished.
    private func throwIfUnusable(entry: String?) throws {
        switch state {
        case .failed(let error):
            throw error
        case .finished:
            throw ArchiveError(.invalidState, archive: label, entry: entry, message: "the archive is already finished")
        case .ready, .inEntry:
            return
        }
    }

    /// The sink's own error when the sink failed, libarchive's otherwise.
    private func writeFailure(entry: String?) -> any Error {
        if let failure = sinkBox?.failure { return failure }
        return ArchiveError(.writeFailed, archive: label, entry: entry, message: archiveErrorMessage(archive))
    }

    /// Marks the writer failed so no later call can complete the archive, and returns `error` to throw.
    private func fail(_ error: any Error) -> any Error {
        state = .failed(error)
        archive_write_fail(archive)
        return error
    }
}

@available(*, unavailable, message: "ArchiveWriter is used from one thread at a time; run the whole job in BlockingIO.run")
extension ArchiveWriter: Sendable {}
