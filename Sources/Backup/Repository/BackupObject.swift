import AgeEncryption
import ArchiveIO
import Foundation
import OpsSupport
import Repository

/// One stored archive or plain script, as restore, verify and copy read it: an object of a
/// repository (local or S3), decrypted on the fly when its name ends in `.age`.
package struct BackupObject: Sendable {
    package var store: any ObjectRepository
    /// The object's name in `store`.
    package var name: String
    /// The key file's identities, for `.age` objects (`--identity` / `BACKUP_IDENTITY`).
    package var identities: [AgeX25519Identity]?

    package init(store: any ObjectRepository, name: String, identities: [AgeX25519Identity]? = nil) {
        self.store = store
        self.name = name
        self.identities = identities
    }

    /// A local file, named by its path.
    package static func local(path: String, identities: [AgeX25519Identity]? = nil) -> BackupObject {
        let directory = (path as NSString).deletingLastPathComponent
        return BackupObject(store: LocalRepository(root: directory.isEmpty ? "." : directory),
                            name: (path as NSString).lastPathComponent, identities: identities)
    }

    /// The path or URL, for messages.
    package var label: String { store.display(name) }
    /// The last path component, for short messages.
    package var baseName: String { name.split(separator: "/").last.map(String.init) ?? name }
    package var isEncrypted: Bool { RepositoryEncryption.isEncrypted(name) }
    /// The name without `.age`: what the plaintext is (`x.tar.zst`, `old.sql.zst`).
    package var plainName: String { isEncrypted ? String(name.dropLast(RepositoryEncryption.suffix.count)) : name }

    /// The stored bytes (ciphertext for `.age`).
    package func openStored() throws -> any ByteSource { try store.open(name) }

    /// The plaintext: decrypted for `.age` (a missing or wrong identity fails here, one line).
    package func openPlain() throws -> any ByteSource {
        let stored = try store.open(name)
        guard isEncrypted else { return stored }
        return try RepositoryEncryption.decrypting(stored, identities: identities, label: label)
    }

    /// Checks that the plaintext can be opened (exists; for `.age`, the identity opens the header),
    /// reading no more than the header: run before any target is touched.
    package func checkReadable() throws {
        let source = try openPlain()
        defer { source.close() }
        if !isEncrypted {
            // A plain S3 object is only fetched at the first read: one byte proves it is there.
            var byte: UInt8 = 0
            _ = try withUnsafeMutableBytes(of: &byte) { try source.read(into: $0) }
        }
    }

    /// Runs `body` with an archive reader over the plaintext, closing the source after.
    package func withArchiveReader<T>(_ body: (ArchiveReader) throws -> T) throws -> T {
        let source = try openPlain()
        defer { source.close() }
        return try body(try ArchiveReader(source: source, label: label, blockSize: 256 * 1024))
    }

    /// Runs `body` with a decompressing reader over the plaintext (a plain script), closing after.
    package func withCompressedReader<T>(_ body: (CompressedStreamReader) throws -> T) throws -> T {
        let source = try openPlain()
        defer { source.close() }
        return try body(try CompressedStreamReader(source: source, label: label, blockSize: 256 * 1024))
    }
}
