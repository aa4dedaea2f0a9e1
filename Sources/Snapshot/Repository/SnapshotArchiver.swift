import AgeEncryption
import ArchiveIO
import Crypto
import Foundation
import OpsCore
import OpsSupport
import Repository

/// Packs a finished snapshot's files into `dragonfly/<id>.tar.zst` of the backup repository (local or
/// S3), encrypted to the backup recipients as `<id>.tar.zst.age` when there are any, and publishes it
/// through the repository: local `AtomicFile` (temporary name, fsync, rename, directory fsync; 0600 in
/// a 0700 directory), S3 multipart upload completed only at the end.
///
/// Single pass: each file is opened once, its size taken from the open descriptor (tar needs it up
/// front), and its bytes are hashed while they stream into the archive (archive writer → age → hashing
/// sink → repository sink; nothing is buffered whole). `manifest.json`, with every file's SHA-256, is
/// the last member; the same manifest, plus the archive's stored size and SHA-256, is published
/// beside the archive afterwards, last (the repository's publication rule). The servers replace a
/// dump by renaming a new file over it, so the descriptor we hold keeps reading the snapshot we
/// confirmed even if a newer save lands meanwhile.
package struct SnapshotArchiver: Sendable {
    /// What was published.
    package struct Published: Sendable {
        package var id: String
        /// Path or `s3://` URL.
        package var archivePath: String
        package var manifestPath: String
        /// Size of the archive as stored (compressed, encrypted).
        package var bytes: Int64
        package var encrypted: Bool
        /// The archive's `manifest.json` member (the sidecar adds the stored size and SHA-256).
        package var manifest: SnapshotManifest
    }

    package let repository: SnapshotRepository
    package let compression: ArchiveCompression
    /// The age recipients to encrypt to; nil: plain.
    package let recipients: [AgeX25519Recipient]?

    package init(repository: SnapshotRepository, compression: ArchiveCompression = .zstd(level: 3, threads: 2),
                 recipients: [AgeX25519Recipient]? = nil) {
        self.repository = repository
        self.compression = compression
        self.recipients = recipients
    }

    /// - Parameters:
    ///   - result: the confirmed snapshot, whose `files` are readable on this host.
    ///   - now: the copy's time (names it).
    /// - Throws: `OpsError(.jobFailed)` when the files are not here, or reading or writing fails
    ///   (`.storeUnavailable` when the store refuses us or cannot be reached); nothing is left
    ///   under the final names then.
    package func archive(_ result: SnapshotResult, now: Date = Date()) async throws -> Published {
        guard let files = result.files, !files.localFiles.isEmpty else {
            let why = result.files?.unavailableReason ?? "the server did not say where it saved (CONFIG GET dir refused?)"
            throw OpsError(.jobFailed, "--copy-to-repo: the snapshot succeeded but its files cannot be copied: \(why)")
        }
        let repository = self.repository
        let compression = self.compression
        let recipients = self.recipients
        return try await BlockingIO.run(name: "snapshot-copy") {
            let store = repository.store
            try repository.removeLeftovers(now: now)
            let id = try repository.newID(for: now)
            let archiveName = repository.name(id, SnapshotRepository.archiveSuffix + (recipients == nil ? "" : RepositoryEncryption.suffix))
            let manifestName = repository.name(id, SnapshotRepository.manifestSuffix)

            var output: (any ByteSink)?
            do {
                let stored = HashingSink(try store.create(archiveName))
                let outer = try recipients.map { try RepositoryEncryption.encrypting(stored, recipients: $0) } ?? stored
                output = outer
                let writer = try ArchiveWriter(sink: outer, compression: compression, label: store.display(archiveName))
                var entries: [SnapshotManifest.File] = []
                for file in files.localFiles {
                    entries.append(try Self.add(file, to: writer))
                }
                var manifest = SnapshotManifest(
                    formatVersion: SnapshotManifest.currentVersion, id: id,
                    createdAt: ISO8601DateFormatter().string(from: now), server: result.serverInfo.kind.rawValue,
                    serverVersion: result.serverInfo.version, serverURL: result.server,
                    snapshotFormat: result.format?.rawValue, saveTime: result.saveTime,
                    sourceDirectory: (files.localFiles[0].path as NSString).deletingLastPathComponent, files: entries)
                try writer.addEntry(name: "manifest.json", contents: try manifest.encoded(), modificationTime: now)
                try writer.finish()
                try outer.publish()
                output = nil
                let member = manifest
                manifest.archive = SnapshotManifest.Archive(name: (archiveName as NSString).lastPathComponent, bytes: stored.bytes,
                                                            sha256: stored.sha256, encrypted: recipients != nil)
                try store.write(manifestName, contents: try manifest.encoded())
                return Published(id: id, archivePath: store.display(archiveName), manifestPath: store.display(manifestName),
                                 bytes: stored.bytes, encrypted: recipients != nil, manifest: member)
            } catch {
                output?.discard()
                if let error = error as? OpsError { throw error }
                if let classified = RepositoryError.classify(error) {
                    throw OpsError(exitCode: classified.exitCode, classified.exitCode == 3 ? classified.message : "--copy-to-repo failed: \(classified.message)")
                }
                throw OpsError(.jobFailed, "--copy-to-repo failed: \(error)")
            }
        }
    }

    /// Streams one file into the archive, hashing it on the way.
    private static func add(_ file: SnapshotFileSet.LocalFile, to writer: ArchiveWriter) throws -> SnapshotManifest.File {
        let reader = try FileReader(path: file.path)
        defer { reader.close() }
        let (size, modified) = try reader.status()
        let name = (file.path as NSString).lastPathComponent
        try writer.beginEntry(name: name, size: size, mode: 0o600, modificationTime: Date(timeIntervalSince1970: TimeInterval(modified)))
        var hasher = SHA256()
        var remaining = size
        try reader.forEachChunk(size: 1 << 20) { chunk in
            let bytes = UnsafeRawBufferPointer(rebasing: chunk[0..<Int(min(Int64(chunk.count), remaining))])
            hasher.update(bufferPointer: bytes)
            try writer.write(bytes)
            remaining -= Int64(bytes.count)
        }
        guard remaining == 0 else {
            throw OpsError(.jobFailed, "--copy-to-repo: \(file.path) shrank while being copied (\(size - remaining) of \(size) bytes)")
        }
        try writer.finishEntry()
        let digest = hasher.finalizeHex()
        return SnapshotManifest.File(name: name, bytes: size, sha256: digest)
    }
}
