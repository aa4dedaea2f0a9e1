import ArchiveIO
import Crypto
import Foundation
import Logging
import OpsCore
import OpsSupport
import PGClient

/// `batches unarchive <batch_id>`: puts an archived batch's requests back exactly as they were.
///
/// Nothing changes unless every check passes: the archive file's SHA-256 equals `archive_sha256`, its
/// manifest names this batch, and — inside the one transaction that re-inserts the rows (same ids,
/// `OVERRIDING SYSTEM VALUE`) and clears `archived_at`, `archive_uri`, `archive_sha256` — the re-inserted
/// rows print as exactly the archived lines (count and SHA-256 of `row_to_json` text, so the jsonb
/// values are byte-identical). The archive file is kept: it is the copy of record until the batch is
/// archived again, and the next archival replaces it.
package struct BatchUnarchiver: Sendable {
    package let configuration: OpsConfiguration
    package let logger: Logger

    package init(configuration: OpsConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// What was restored.
    package struct Result: Sendable {
        package let batchID: String
        package let rows: Int64
        package let archivePath: String
    }

    /// Restores `batchID`'s requests from its archive.
    /// - Throws: `OpsError` `.usage` (unknown or unarchived batch) or `.jobFailed` (archive missing,
    ///   corrupt or not matching), with nothing changed.
    package func unarchive(batchID: String) async throws -> Result {
        do {
            return try await Stores.withPostgres(configuration) { connection in
                try await restore(batchID: batchID, connection: connection)
            }
        } catch {
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
        guard let path = BatchArchive.localPath(uri: uri, repository: configuration.backupRepository) else {
            throw OpsError(.jobFailed, "cannot unarchive batch \(batchID): its archive \(uri) is not a local file:// archive; nothing was changed")
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw OpsError(.jobFailed, "cannot unarchive batch \(batchID): archive \(path) is missing; nothing was changed")
        }
        let manifest: BatchArchive.Manifest = try await BlockingIO.run(name: "batch-unarchive") {
            let actual = try SHA256Hex.ofFile(path)
            guard actual == recordedSHA else {
                throw OpsError(.jobFailed, "cannot unarchive batch \(batchID): archive \(path) is corrupt (SHA-256 \(actual) is not the recorded \(recordedSHA)); nothing was changed")
            }
            return try Self.readManifest(path: path, batchID: batchID)
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
            let source = JSONLSource(path: path)
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
    static func readManifest(path: String, batchID: String) throws -> BatchArchive.Manifest {
        do {
            let reader = try ArchiveReader(path: path)
            while let entry = try reader.nextEntry() {
                guard entry.name == BatchArchive.manifestEntry else { continue }
                return try JSONDecoder().decode(BatchArchive.Manifest.self, from: Data(try reader.readAll(limit: 1 << 20)))
            }
        } catch let error as OpsError {
            throw error
        } catch {
            throw OpsError(.jobFailed, "cannot unarchive batch \(batchID): archive \(path) is unreadable (\(error)); nothing was changed")
        }
        throw OpsError(.jobFailed, "cannot unarchive batch \(batchID): archive \(path) has no \(BatchArchive.manifestEntry); nothing was changed")
    }
}

/// Feeds `requests.jsonl` from an archive to `COPY FROM STDIN`, hashing it on the way. Created on the
/// caller's task but opened and read only inside `copyIn`'s producer, on the connection's thread.
private final class JSONLSource {
    private let path: String
    private var reader: ArchiveReader?
    private var done = false
    private var hasher = SHA256()
    private(set) var bytes: Int64 = 0
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)

    init(path: String) { self.path = path }

    func next() throws -> [UInt8]? {
        if done { return nil }
        if reader == nil {
            let opened = try ArchiveReader(path: path)
            while let entry = try opened.nextEntry(), entry.name != BatchArchive.requestsEntry {}
            reader = opened
        }
        let count = try buffer.withUnsafeMutableBytes { try reader!.read(into: $0) }
        if count == 0 { done = true; return nil }
        let chunk = Array(buffer[0..<count])
        chunk.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        bytes += Int64(count)
        return chunk
    }

    func sha256() -> String { hasher.finalizeHex() }
}
