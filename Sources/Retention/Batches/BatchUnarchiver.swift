import AgeEncryption
import ArchiveIO
import Crypto
import Foundation
import Logging
import ObjectStore
import OpsCore
import OpsSupport
import PGClient
import Repository

/// `batches unarchive <batch_id>`: puts an archived batch's requests back exactly as they were.
///
/// The archive is found by its `archive_uri`, local (`file://`) or on S3 (`s3://bucket/key`), and
/// decrypted with `--identity` / `BACKUP_IDENTITY` when it is an age file (`….age`).
///
/// Nothing changes unless every check passes: the archive object's SHA-256 as stored equals `archive_sha256`, its
/// manifest names this batch, and — inside the one transaction that re-inserts the rows (same ids,
/// `OVERRIDING SYSTEM VALUE`) and clears `archived_at`, `archive_uri`, `archive_sha256` — the re-inserted
/// rows print as exactly the archived lines (count and SHA-256 of `row_to_json` text, so the jsonb
/// values are byte-identical). The archive is kept: it is the copy of record until the batch is
/// archived again, and the next archival replaces it.
package struct BatchUnarchiver: Sendable {
    package let configuration: OpsConfiguration
    package let logger: Logger
    /// `--identity FILE`, else `BACKUP_IDENTITY`: decrypts `.age` archives.
    package let identityFile: String?

    package init(configuration: OpsConfiguration, logger: Logger, identityFile: String? = nil) {
        self.configuration = configuration
        self.logger = logger
        self.identityFile = identityFile
    }

    /// What was restored.
    package struct Result: Sendable {
        package let batchID: String
        package let rows: Int64
        /// The archive's path or `s3://` URL.
        package let archivePath: String
    }

    /// Restores `batchID`'s requests from its archive.
    /// - Throws: `OpsError` `.usage` (unknown or unarchived batch, a missing or wrong identity),
    ///   `.storeUnavailable` (the archive's store refuses us or cannot be reached) or `.jobFailed`
    ///   (archive missing, corrupt or not matching), with nothing changed.
    package func unarchive(batchID: String) async throws -> Result {
        do {
            return try await Stores.withPostgres(configuration) { connection in
                try await restore(batchID: batchID, connection: connection)
            }
        } catch let error as OpsError {
            throw error
        } catch {
            if let classified = RepositoryError.classify(error) {
                let message = classified.exitCode == 3 || classified.code == .identity ? classified.message
                    : "cannot unarchive batch \(batchID): \(classified.message); nothing was changed"
                throw OpsError(exitCode: classified.exitCode, message)
            }
            throw Stores.opsError(error)
        }
    }

    private func restore(batchID: String, connection: PostgresConnection) async throws -> Result {
        guard let batch = try await connection.query(Self.archivedBatchSQL, [batchID]).first else {
            throw OpsError(.usage, "batch \(batchID) does not exist")
        }
        let pk = try batch.decode(Int64.self, "id")
        guard try batch.decode(Bool.self, "archived"), let uri = try batch.decode(String?.self, "archive_uri"),
              let recordedSHA = try batch.decode(String?.self, "archive_sha256") else {
            throw OpsError(.usage, "batch \(batchID) is not archived; nothing to restore")
        }
        guard let object = try BatchArchiveObject(uri: uri, configuration: configuration) else {
            throw OpsError(.jobFailed, "cannot unarchive batch \(batchID): its archive \(uri) is neither a file:// nor an s3:// URL; nothing was changed")
        }
        let path = object.display
        let identities = try object.isEncrypted ? (identityFile ?? configuration.backupIdentityFile).map { file in
            do { return try RepositoryEncryption.identities(file: file) }
            catch let error as RepositoryError { throw OpsError(exitCode: error.exitCode, "cannot unarchive batch \(batchID): \(error.message)") }
        } : nil
        let manifest: BatchArchive.Manifest = try await BlockingIO.run(name: "batch-unarchive") {
            guard try object.store.stat(object.name) != nil else {
                throw OpsError(.jobFailed, "cannot unarchive batch \(batchID): archive \(path) is missing; nothing was changed")
            }
            let actual = try object.storedSHA256()
            guard actual == recordedSHA else {
                throw OpsError(.jobFailed, "cannot unarchive batch \(batchID): archive \(path) is corrupt (SHA-256 \(actual) is not the recorded \(recordedSHA)); nothing was changed")
            }
            // Decrypting starts here: a missing or wrong identity fails before the database is touched.
            return try Self.readManifest(object, identities: identities, batchID: batchID)
        }
        guard manifest.format == BatchArchive.format, manifest.batchID == batchID, manifest.batchPK == pk else {
            throw OpsError(.jobFailed, "cannot unarchive batch \(batchID): archive \(path) belongs to batch \(manifest.batchID) (\(manifest.format)); nothing was changed")
        }

        try await connection.transaction {
            try await connection.query("SELECT set_config('lock_timeout', '5s', true)")
            guard try await connection.query(
                "SELECT id FROM public.batches WHERE id = $1 AND archive_sha256 = $2 FOR UPDATE", [pk, recordedSHA]).first != nil else {
                throw OpsError(.jobFailed, "cannot unarchive batch \(batchID): it changed while being restored; nothing was changed")
            }
            try await connection.execute("CREATE TEMP TABLE ops_unarchive_lines (line text NOT NULL) ON COMMIT DROP")
            let source = JSONLSource(object: object, identities: identities)
            defer { source.close() }
            let copied = try await connection.copyIn(
                "COPY pg_temp.ops_unarchive_lines (line) FROM STDIN (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')") {
                try source.next()
            }
            guard copied == manifest.rows, source.bytes == manifest.jsonlBytes, source.sha256() == manifest.jsonlSHA256 else {
                throw OpsError(.jobFailed, "cannot unarchive batch \(batchID): archive \(path) does not match its manifest; nothing was changed")
            }
            let inserted = try await connection.query(Self.restoreRequestsSQL, [pk]).affectedRows ?? -1
            let check = try await connection.query(Self.restoredRequestsCheckSQL, [pk]).first
            guard Int64(inserted) == manifest.rows, try check?.decode(Int64.self, "n") == manifest.rows,
                  try check?.decode(String.self, "sha256") == manifest.jsonlSHA256 else {
                throw OpsError(.jobFailed, "cannot unarchive batch \(batchID): the restored rows would differ from the archive; nothing was changed")
            }
            try await connection.query(
                "UPDATE public.batches SET archived_at = NULL, archive_uri = NULL, archive_sha256 = NULL WHERE id = $1", [pk])
        }
        logger.info("batch unarchived", metadata: ["batch": "\(batchID)", "rows": "\(manifest.rows)"])
        return Result(batchID: batchID, rows: manifest.rows, archivePath: path)
    }

    /// Reads and decodes `manifest.json`. Blocking.
    static func readManifest(_ object: BatchArchiveObject, identities: [AgeX25519Identity]?, batchID: String) throws -> BatchArchive.Manifest {
        let source = try object.openPlain(identities: identities)
        defer { source.close() }
        do {
            let reader = try ArchiveReader(source: source, label: object.display)
            while let entry = try reader.nextEntry() {
                guard entry.name == BatchArchive.manifestEntry else { continue }
                return try JSONDecoder().decode(BatchArchive.Manifest.self, from: Data(try reader.readAll(limit: 1 << 20)))
            }
        } catch let error as OpsError {
            throw error
        } catch {
            if let classified = RepositoryError.classify(error), classified.code != .damaged { throw classified }
            throw OpsError(.jobFailed, "cannot unarchive batch \(batchID): archive \(object.display) is unreadable (\(error)); nothing was changed")
        }
        throw OpsError(.jobFailed, "cannot unarchive batch \(batchID): archive \(object.display) has no \(BatchArchive.manifestEntry); nothing was changed")
    }
}

/// A batch archive found by its `archive_uri`: the repository holding it (its directory or prefix)
/// and its name there.
struct BatchArchiveObject: Sendable {
    let store: any ObjectRepository
    let name: String

    /// `file:///…` (a moved repository's files are looked for as `BatchArchive.localPath` says) or
    /// `s3://bucket/key` (with the `AWS_*` settings of this process); nil for any other URL.
    init?(uri: String, configuration: OpsConfiguration) throws {
        let options = try BatchArchiveRepository.options(configuration)
        // The current archive repository, when local: where a moved archive is looked for.
        var archiveDirectory: String?
        if case .local(let path)? = try? BatchArchiveRepository.url(configuration) { archiveDirectory = path }
        if let path = BatchArchive.localPath(uri: uri, backupRepository: configuration.backupRepository,
                                             archiveRepository: archiveDirectory) {
            store = try Repositories.open(.local(path: (path as NSString).deletingLastPathComponent), options: options)
            name = (path as NSString).lastPathComponent
            return
        }
        guard uri.hasPrefix("s3://") else { return nil }
        let rest = uri.dropFirst("s3://".count)
        guard let slash = rest.firstIndex(of: "/"), rest.index(after: slash) < rest.endIndex else { return nil }
        let bucket = String(rest[..<slash])
        let key = String(rest[rest.index(after: slash)...])
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        do {
            let location = try S3Location(bucket: bucket, prefix: parts.dropLast().joined(separator: "/"))
            store = try Repositories.open(.s3(location), options: options)
        } catch let error as S3Error {
            throw OpsError(.jobFailed, "archive_uri \(uri) is not a valid s3:// URL: \(error.message)")
        }
        name = String(parts.last!)
    }

    var display: String { store.display(name) }
    var isEncrypted: Bool { RepositoryEncryption.isEncrypted(name) }

    /// The SHA-256 of the object as stored (the age file itself when encrypted). Blocking.
    func storedSHA256() throws -> String {
        let source = try store.open(name)
        defer { source.close() }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
        return hasher.finalizeHex()
    }

    /// The archive's tar.zst bytes: the object, decrypted when it is an age file. Blocking; the
    /// caller closes it.
    func openPlain(identities: [AgeX25519Identity]?) throws -> any ByteSource {
        let source = try store.open(name)
        guard isEncrypted else { return source }
        return try RepositoryEncryption.decrypting(source, identities: identities, label: display)
    }
}

/// Feeds `requests.jsonl` from an archive to `COPY FROM STDIN`, hashing it on the way. Created on the
/// caller's task but opened and read only inside `copyIn`'s producer, on the connection's thread;
/// closed after `copyIn` returned.
private final class JSONLSource: @unchecked Sendable {
    private let object: BatchArchiveObject
    private let identities: [AgeX25519Identity]?
    private var source: (any ByteSource)?
    private var reader: ArchiveReader?
    private var done = false
    private var hasher = SHA256()
    private(set) var bytes: Int64 = 0
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)

    init(object: BatchArchiveObject, identities: [AgeX25519Identity]?) {
        self.object = object
        self.identities = identities
    }

    func next() throws -> [UInt8]? {
        if done { return nil }
        if reader == nil {
            let opened = try object.openPlain(identities: identities)
            source = opened
            let archive = try ArchiveReader(source: opened, label: object.display)
            while let entry = try archive.nextEntry(), entry.name != BatchArchive.requestsEntry {}
            reader = archive
        }
        let count = try buffer.withUnsafeMutableBytes { try reader!.read(into: $0) }
        if count == 0 { done = true; return nil }
        let chunk = Array(buffer[0..<count])
        chunk.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        bytes += Int64(count)
        return chunk
    }

    func sha256() -> String { hasher.finalizeHex() }

    func close() {
        reader = nil
        source?.close()
        source = nil
    }
}
