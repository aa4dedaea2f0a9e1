import ArchiveIO
import Crypto
import Foundation
import OpsCore
import OpsSupport
import Repository

/// Writes one batch archive into the archive repository while PostgreSQL streams the rows: opened in
/// `BlockingIO.run`, fed from the connection's thread inside `copyOut`, finished and published in
/// `BlockingIO.run` again.
///
/// The bytes go archive writer → age encryption (when there are recipients) → `HashingSink` (size
/// and SHA-256 as stored) → the repository's sink (a local `AtomicFile`, or an S3 multipart upload),
/// so nothing is buffered whole and nothing is visible until `publish`.
///
/// `@unchecked Sendable` because it is used by one thread at a time, and each hand-off between those
/// threads is ordered by an `await` (the next step starts only after the previous one returned). It is
/// never used from Swift's cooperative pool, since every call blocks on disk or network I/O or
/// compression.
final class BatchArchiveSink: @unchecked Sendable {
    private let stored: HashingSink
    private let outer: any ByteSink
    private let writer: ArchiveWriter
    private var hasher = SHA256()
    private(set) var bytesWritten: Int64 = 0
    private(set) var rows: Int64 = 0
    let declaredBytes: Int64

    /// Creates the object's sink and starts the `requests.jsonl` member.
    ///
    /// - Parameters:
    ///   - repository: the archive repository and its recipients.
    ///   - name: the object's name in it.
    ///   - jsonlBytes: the exact size of `requests.jsonl` (tar headers precede the body).
    init(repository: BatchArchiveRepository, name: String, jsonlBytes: Int64) throws {
        stored = HashingSink(try repository.store.create(name))
        if let recipients = repository.recipients {
            outer = try RepositoryEncryption.encrypting(stored, recipients: recipients)
        } else {
            outer = stored
        }
        do {
            writer = try ArchiveWriter(sink: outer, compression: .zstd(level: 3), label: repository.store.display(name))
            try writer.beginEntry(name: BatchArchive.requestsEntry, size: jsonlBytes)
        } catch {
            outer.discard()
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

    /// Adds the manifest, finishes the archive and publishes it (local: fsync, rename, directory fsync;
    /// S3: CompleteMultipartUpload or one PutObject).
    /// - Returns: the SHA-256 of the published object as stored.
    func publish(manifest: BatchArchive.Manifest) throws -> String {
        do {
            try writer.finishEntry()
            try writer.addEntry(name: BatchArchive.manifestEntry, contents: try manifest.encoded())
            try writer.finish()
            try outer.publish()
        } catch {
            outer.discard()
            throw error
        }
        return stored.sha256
    }

    /// Abandons the object (after a failed COPY): removes the temporary file or aborts the upload.
    func discard() { outer.discard() }
}
