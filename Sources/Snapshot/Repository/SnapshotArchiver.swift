import ArchiveIO
import Crypto
import Foundation
import OpsCore
import OpsSupport

/// Packs a finished snapshot's files into `$BACKUP_REPO/dragonfly/<id>.tar.zst` and publishes it with
/// `AtomicFile` (temporary name, fsync, rename, directory fsync; 0600 in a 0700 directory).
///
/// Single pass: each file is opened once, its size taken from the open descriptor (tar needs it up
/// front), and its bytes are hashed while they stream into the archive. `manifest.json`, with every
/// file's SHA-256, is the last member; the same manifest is published beside the archive afterwards.
/// The servers replace a dump by renaming a new file over it, so the descriptor we hold keeps reading
/// the snapshot we confirmed even if a newer save lands meanwhile.
package struct SnapshotArchiver: Sendable {
    /// What was published.
    package struct Published: Sendable {
        package var id: String
        package var archivePath: String
        package var manifestPath: String
        /// Size of the compressed archive.
        package var bytes: Int64
        package var manifest: SnapshotManifest
    }

    package let repository: SnapshotRepository
    package let compression: ArchiveCompression

    package init(repository: SnapshotRepository, compression: ArchiveCompression = .zstd(level: 3, threads: 2)) {
        self.repository = repository
        self.compression = compression
    }

    /// - Parameters:
    ///   - result: the confirmed snapshot, whose `files` are readable on this host.
    ///   - now: the copy's time (names it).
    /// - Throws: `OpsError(.jobFailed)` when the files are not here, or reading or writing fails;
    ///   nothing is left under the final names then.
    package func archive(_ result: SnapshotResult, now: Date = Date()) async throws -> Published {
        guard let files = result.files, !files.localFiles.isEmpty else {
            let why = result.files?.unavailableReason ?? "the server did not say where it saved (CONFIG GET dir refused?)"
            throw OpsError(.jobFailed, "--copy-to-repo: the snapshot succeeded but its files cannot be copied: \(why)")
        }
        let repository = self.repository
        let compression = self.compression
        return try await BlockingIO.run(name: "snapshot-copy") {
            try AtomicFile.makeDirectories(repository.directory)
            AtomicFile.removeLeftovers(in: repository.directory)
            let id = repository.newID(for: now)
            let archivePath = repository.path(id, SnapshotRepository.archiveSuffix)
            let manifestPath = repository.path(id, SnapshotRepository.manifestSuffix)

            let output = try AtomicFile(finalPath: archivePath)
            var entries: [SnapshotManifest.File] = []
            do {
                let writer = try ArchiveWriter(fileDescriptor: output.fileDescriptor, compression: compression, label: archivePath)
                for file in files.localFiles {
                    entries.append(try Self.add(file, to: writer))
                }
                let manifest = SnapshotManifest(
                    formatVersion: SnapshotManifest.currentVersion, id: id,
                    createdAt: ISO8601DateFormatter().string(from: now), server: result.serverInfo.kind.rawValue,
                    serverVersion: result.serverInfo.version, serverURL: result.server,
                    snapshotFormat: result.format?.rawValue, saveTime: result.saveTime,
                    sourceDirectory: (files.localFiles[0].path as NSString).deletingLastPathComponent, files: entries)
                let manifestBytes = try manifest.encoded()
                try writer.addEntry(name: "manifest.json", contents: manifestBytes, modificationTime: now)
                try writer.finish()
                try output.publish()
                try AtomicFile.write(Data(manifestBytes), to: manifestPath)
                let size = (try? FileManager.default.attributesOfItem(atPath: archivePath)[.size] as? NSNumber)?.int64Value ?? 0
                return Published(id: id, archivePath: archivePath, manifestPath: manifestPath, bytes: size, manifest: manifest)
            } catch {
                output.discard()
                if let error = error as? OpsError { throw error }
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
