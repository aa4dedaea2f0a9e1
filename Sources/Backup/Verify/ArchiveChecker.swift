import ArchiveIO
import Crypto
import Foundation
import OpsSupport

/// Checks a backup archive against its manifest: every member present, in order, with the declared
/// size and SHA-256, nothing else in the archive, and `manifest.json` last. Reads the whole archive
/// once, in bounded memory; blocking, so call it from `BlockingIO.run`.
enum ArchiveChecker {
    /// - Parameters:
    ///   - path: the archive.
    ///   - beside: the manifest kept beside the archive, if any; it must equal the embedded one.
    /// - Returns: the embedded manifest.
    /// - Throws: `BackupError` `.invalidArchive` or `.checksumMismatch`, naming the member.
    ///   - progress: counts `members` and `bytes` (uncompressed) as they are hashed.
    static func check(path: String, beside: BackupManifest?, progress: ProgressMeter? = nil) throws -> BackupManifest {
        try check(.local(path: path), beside: beside, progress: progress)
    }

    /// `check` of an archive object (local or S3, decrypted when `.age`).
    static func check(_ object: BackupObject, beside: BackupManifest?, progress: ProgressMeter? = nil) throws -> BackupManifest {
        try check(object, beside: beside, progress: progress, keeping: []).manifest
    }

    /// `check`, also returning the bodies of the members named in `keeping` (checked like the
    /// others; those over 64 MiB are not kept), so a restore needs no second pass for them.
    static func check(_ object: BackupObject, beside: BackupManifest?, progress: ProgressMeter? = nil,
                      keeping: Set<String>) throws -> (manifest: BackupManifest, kept: [String: [UInt8]]) {
        let label = object.baseName
        var kept: [String: [UInt8]] = [:]
        var seen: [(name: String, bytes: Int64, sha256: String)] = []
        var embedded: BackupManifest?
        do { try object.withArchiveReader { reader in
            while let entry = try reader.nextEntry() {
                if embedded != nil {
                    throw BackupError(.invalidArchive, "backup \(label) is invalid: member \(entry.name) follows manifest.json, which must be last")
                }
                if entry.name == BackupManifest.memberName {
                    let data = Data(try reader.readAll(limit: 256 << 20))
                    embedded = try BackupManifest.decode(data, source: "\(label) (manifest.json)")
                    continue
                }
                var hasher = SHA256()
                var bytes: Int64 = 0
                var body: [UInt8]? = keeping.contains(entry.name) ? [] : nil
                try reader.readEntry(chunkSize: 256 * 1024) { chunk in
                    hasher.update(bufferPointer: chunk)
                    bytes += Int64(chunk.count)
                    progress?.add("bytes", Int64(chunk.count))
                    if body != nil { body! += chunk; if body!.count > 64 << 20 { body = nil } }
                }
                if let body { kept[entry.name] = body }
                progress?.add("members", 1)
                seen.append((entry.name, bytes, hasher.finalizeHex()))
            }
        } } catch let error as ArchiveError {
            if beside == nil && seen.isEmpty && embedded == nil {
                // Nothing readable and no manifest saying it is a backup: bad input (2), as `backup
                // verify` answers for the same file, not a damaged backup (1).
                throw notABackup(label, error)
            }
            throw BackupError(.invalidArchive, "backup \(label) is damaged: \(error)")
        }
        guard let manifest = embedded else {
            throw BackupError(.invalidArchive, "backup \(label) is incomplete: it has no manifest.json (truncated?)")
        }
        if let beside, beside.withoutStoredArchive != manifest {
            throw BackupError(.invalidArchive, "backup \(label) is invalid: the manifest beside it differs from the one inside it")
        }
        let found = Dictionary(seen.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for member in manifest.members {
            guard let actual = found[member.name] else {
                throw BackupError(.invalidArchive, "backup \(label) is incomplete: member \(member.name) listed in the manifest is missing from the archive")
            }
            guard actual.bytes == member.bytes, actual.sha256 == member.sha256 else {
                throw BackupError(.checksumMismatch, "backup \(label) is corrupt: member \(member.name) has SHA-256 \(actual.sha256.prefix(16))… (\(actual.bytes) bytes), the manifest says \(member.sha256.prefix(16))… (\(member.bytes) bytes)")
            }
        }
        let listed = Set(manifest.members.map(\.name))
        if let extra = seen.first(where: { !listed.contains($0.name) }) {
            throw BackupError(.invalidArchive, "backup \(label) is invalid: member \(extra.name) is not in the manifest")
        }
        guard seen.map(\.name) == manifest.members.map(\.name) else {
            throw BackupError(.invalidArchive, "backup \(label) is invalid: its members are not in the manifest's order")
        }
        return (manifest, kept)
    }

    /// The embedded manifest alone (for the restore preflight of an archive without one beside it):
    /// one pass over the archive, no hashing.
    static func embeddedManifest(path: String) throws -> BackupManifest {
        try embeddedManifest(.local(path: path))
    }

    static func embeddedManifest(_ object: BackupObject) throws -> BackupManifest {
        let label = object.baseName
        var entries = 0
        do {
            let found = try object.withArchiveReader { reader -> BackupManifest? in
                while let entry = try reader.nextEntry() {
                    entries += 1
                    if entry.name == BackupManifest.memberName {
                        return try BackupManifest.decode(Data(try reader.readAll(limit: 256 << 20)), source: "\(label) (manifest.json)")
                    }
                }
                return nil
            }
            if let found { return found }
        } catch let error as ArchiveError {
            // Nothing readable at all: not a backup (bad input, 2), as `check` says for the same file.
            if entries == 0 { throw notABackup(label, error) }
            throw BackupError(.invalidArchive, "backup \(label) is damaged: \(error)")
        }
        throw BackupError(.invalidArchive, "backup \(label) is incomplete: it has no manifest.json (truncated?)")
    }

    /// One member's body (small members only: the roles member), after `check` has verified it.
    static func member(_ name: String, path: String) throws -> [UInt8] {
        try member(name, object: .local(path: path))
    }

    static func member(_ name: String, object: BackupObject) throws -> [UInt8] {
        let label = object.baseName
        do {
            let found = try object.withArchiveReader { reader -> [UInt8]? in
                while let entry = try reader.nextEntry() {
                    if entry.name == name { return try reader.readAll(limit: 64 << 20) }
                }
                return nil
            }
            if let found { return found }
        } catch let error as ArchiveError {
            throw BackupError(.invalidArchive, "backup \(label) is damaged: \(error)")
        }
        throw BackupError(.invalidArchive, "backup \(label) has no member \(name)")
    }

    /// Checks the stored object (ciphertext for `.age`) against the size and SHA-256 the manifest
    /// beside it records: what `backup verify` does without the identity, and `backup copy` on arrival.
    static func checkStored(_ object: BackupObject, expected: BackupManifest.StoredArchive) throws {
        var hasher = SHA256()
        var bytes: Int64 = 0
        let source = try object.openStored()
        defer { source.close() }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try source.read(into: buffer)
            if n == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            bytes += Int64(n)
        }
        let digest = hasher.finalizeHex()
        guard bytes == expected.bytes, digest == expected.sha256 else {
            throw BackupError(.checksumMismatch, "backup \(object.baseName) is corrupt: the stored object has SHA-256 \(digest.prefix(16))… (\(bytes) bytes), the manifest says \(expected.sha256.prefix(16))… (\(expected.bytes) bytes)")
        }
    }

    /// A file with nothing readable and no manifest beside it: bad input (2), not a damaged backup (1).
    static func notABackup(_ label: String, _ error: ArchiveError) -> BackupError {
        BackupError(.usage, "\(label) is not a backup archive (\(error)); restore takes an archive made by 'backup create' or a plain .sql, .sql.gz or .sql.zst script")
    }
}
