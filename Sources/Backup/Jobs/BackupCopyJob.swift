import Foundation
import Logging
import OpsCore
import OpsSupport
import Repository

/// `backup copy ID|latest --to REPO` as a job (name `backup-copy`): copies one complete backup, as
/// stored (an encrypted one stays encrypted: no identity needed), from the repository (`--repo` /
/// `BACKUP_REPO`) into another, local or S3. The archive streams through (no local copy); its size
/// and SHA-256 are checked against the source manifest's `storedArchive` before the upload is
/// published, then read back from the destination and checked again; only then is the manifest
/// written there, last, so the copy is listed only once it is whole. A backup already in the
/// destination with the same checksum is left as it is.
package struct BackupCopyJob: OpsJob {
    package let name = "backup-copy"
    package var requiresHistory: Bool { false }
    package var backup: String?
    package var database: String?
    package var destination: String
    package var settings: RepositorySettings
    /// The progress line: bytes copied of the archive's stored size, then bytes read back (`--quiet`: none).
    package var progress: ProgressMeter.Display

    package init(backup: String?, database: String?, destination: String, settings: RepositorySettings, progress: ProgressMeter.Display = .none) {
        self.backup = backup
        self.database = database
        self.destination = destination
        self.settings = settings
        self.progress = progress
    }

    package func run(_ context: JobContext) async throws -> JobOutcome {
        let (backup, requested, destination, settings, configuration, logger) = (self.backup, self.database, self.destination, self.settings, context.configuration, context.logger)
        let display = progress
        return try await BackupError.mapped {
            let (entry, target) = try await BlockingIO.run(name: "backup-copy-resolve") { () throws -> (BackupRepository.Entry, BackupRepository) in
                let source = try settings.repository(configuration)
                let target = try BackupRepository.open(destination, setting: "--to", options: try settings.repositoryOptions(configuration))
                guard source.store.url != target.store.url else {
                    throw BackupError(.usage, "--to \(destination) is the repository the backup is in; copy to another one")
                }
                return (try source.resolve(backup, database: BackupRepository.database(option: requested, configuration: configuration)), target)
            }
            let meter = ProgressMeter(label: "copy", quantities: [.init("copied", total: entry.archiveBytes, isBytes: true)],
                                      display: display, log: { logger.info("\($0)") })
            let copied = try await meter.showing {
                try await BlockingIO.run(name: "backup-copy") { try Self.copy(entry, to: target, logger: logger, progress: meter) }
            }
            return JobOutcome(details: [
                "id": .string(entry.id), "database": .string(entry.database),
                "from": .string(entry.archivePath), "to": .string(copied.path),
                "bytes": .int(copied.bytes), "already_there": .bool(copied.alreadyThere),
                "encrypted": .bool(entry.isEncrypted),
            ])
        }
    }

    /// Copies `entry` into `target`; blocking.
    static func copy(_ entry: BackupRepository.Entry, to target: BackupRepository, logger: Logger,
                     progress: ProgressMeter? = nil) throws -> (path: String, bytes: Int64, alreadyThere: Bool) {
        let directory = target.directoryName(database: entry.database)
        let file = entry.archiveName.split(separator: "/").last.map(String.init) ?? entry.archiveName
        let archiveName = "\(directory)/\(file)"
        let manifestName = "\(directory)/\(entry.id)\(BackupRepository.manifestSuffix)"
        let destinationObject = BackupObject(store: target.store, name: archiveName)

        if let existing = try target.list(database: entry.database).first(where: { $0.id == entry.id }) {
            guard existing.archiveName == archiveName, let stored = entry.manifest.storedArchive,
                  existing.manifest.storedArchive?.sha256 == stored.sha256 else {
                throw BackupError(.usage, "\(target.root) already holds a different backup \(entry.id) of \(entry.database); prune it there first")
            }
            return (existing.archivePath, existing.archiveBytes, true)
        }
        let removed = try target.removeLeftovers(database: entry.database)
        if !removed.isEmpty { logger.notice("removed leftovers of interrupted runs", metadata: ["objects": "\(removed.count)"]) }

        // Stream the stored bytes across, hashing what is written.
        let sink: HashingSink
        do { sink = HashingSink(try target.store.create(archiveName)) } catch { throw BackupError.from(error, "cannot copy to \(target.root)") }
        do {
            let input = try entry.store.open(entry.archiveName)
            defer { input.close() }
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
            defer { buffer.deallocate() }
            while true {
                let n = try input.read(into: buffer)
                if n == 0 { break }
                try sink.write(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                progress?.add("copied", Int64(n))
            }
        } catch {
            sink.discard()
            throw BackupError.from(error, "cannot copy \(entry.archivePath)")
        }
        let arrived = BackupManifest.StoredArchive(name: file, bytes: sink.bytes, sha256: sink.sha256,
                                                   recipients: entry.manifest.storedArchive?.recipients)
        if let expected = entry.manifest.storedArchive, expected.sha256 != arrived.sha256 || expected.bytes != arrived.bytes {
            sink.discard()
            throw BackupError(.checksumMismatch, "backup \(entry.id) is corrupt in \(entry.store.url): it reads as SHA-256 \(arrived.sha256.prefix(16))… (\(arrived.bytes) bytes), its manifest says \(expected.sha256.prefix(16))… (\(expected.bytes) bytes); nothing was copied")
        }
        do { try sink.publish() } catch { throw BackupError.from(error, "cannot copy to \(target.root)") }
        do {
            // On arrival: the destination's bytes, read back, against the checksum; for a backup made
            // before the manifest recorded it, every member against the manifest.
            if entry.manifest.storedArchive != nil || entry.isEncrypted {
                try ArchiveChecker.checkStored(destinationObject, expected: arrived)
            } else {
                _ = try ArchiveChecker.check(destinationObject, beside: entry.manifest)
            }
            try target.store.write(manifestName, contents: [UInt8](try besideData(entry, stored: arrived)))
        } catch {
            // Not listed (no manifest): remove the archive so the next run starts clean.
            try? target.store.delete(archiveName)
            throw BackupError.from(error, "copy of backup \(entry.id) to \(target.root) failed its check")
        }
        logger.info("backup copied", metadata: ["id": "\(entry.id)", "to": "\(target.store.display(archiveName))", "bytes": "\(arrived.bytes)"])
        return (target.store.display(archiveName), arrived.bytes, false)
    }

    /// The destination's manifest: the source's bytes (so it reads back identically), with
    /// `storedArchive` set when the source lacked it.
    private static func besideData(_ entry: BackupRepository.Entry, stored: BackupManifest.StoredArchive) throws -> Data {
        guard let data = try entry.store.read(entry.manifestName, limit: 256 << 20) else {
            throw BackupError(.notFound, "the manifest of backup \(entry.id) disappeared from \(entry.store.url) during the copy")
        }
        return entry.manifest.storedArchive != nil ? Data(data) : try BackupManifest.besideData(embedded: Data(data), stored: stored)
    }
}
