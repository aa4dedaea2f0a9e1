import ArchiveIO
import Crypto
import Foundation
import OpsCore
import OpsSupport

/// Writes one batch archive while PostgreSQL streams the rows: opened in `BlockingIO.run`, fed from
/// the connection's thread inside `copyOut`, finished and published in `BlockingIO.run` again.
///
/// `@unchecked Sendable` because it is used by one thread at a time, and each hand-off between those
/// threads is ordered by an `await` (the next step starts only after the previous one returned). It is
/// never used from Swift's cooperative pool, since every call blocks on disk I/O or compression.
final class BatchArchiveSink: @unchecked Sendable {
    private let file: AtomicFile
    private let writer: ArchiveWriter
    private var hasher = SHA256()
    private(set) var bytesWritten: Int64 = 0
    private(set) var rows: Int64 = 0
    let declaredBytes: Int64

    /// Creates the temporary file and starts the `requests.jsonl` member.
    ///
    /// - Parameters:
    ///   - path: the final path; the file is written under a temporary name next to it.
    ///   - jsonlBytes: the exact size of `requests.jsonl` (tar headers precede the body).
    init(path: String, jsonlBytes: Int64) throws {
        file = try AtomicFile(finalPath: path)
        do {
            writer = try ArchiveWriter(fileDescriptor: file.fileDescriptor, compression: .zstd(level: 3), label: path)
            try writer.beginEntry(name: BatchArchive.requestsEntry, size: jsonlBytes)
        } catch {
            file.discard()
            throw error
        }
        declaredBytes = jsonlBytes
    }

    /// Appends COPY output (whole lines) to `requests.jsonl`.
    func write(_ chunk: UnsafeRawBufferPointer) throws {
        hasher.update(bufferPointer: chunk)
        try writer.write(chunk)
        bytesWritten += Int64(chunk.count)
        for byte in chunk where byte == UInt8(ascii: "\n") { rows += 1 }
    }

    /// The SHA-256 of everything written to `requests.jsonl`.
    func jsonlSHA256() -> String { hasher.finalizeHex() }

    /// Adds the manifest, finishes the archive and publishes it (fsync, rename, directory fsync).
    /// - Returns: the SHA-256 of the published archive file.
    func publish(manifest: BatchArchive.Manifest) throws -> String {
        do {
            try writer.finishEntry()
            try writer.addEntry(name: BatchArchive.manifestEntry, contents: try manifest.encoded())
            try writer.finish()
            try file.publish()
        } catch {
            file.discard()
            throw error
        }
        return try SHA256Hex.ofFile(file.finalPath)
    }

    /// Removes the temporary file (after a failed COPY).
    func discard() { file.discard() }
}
