import ArchiveIO
import Crypto
import Foundation
import OpsCore

/// The archive of one batch's requests: `batches/YYYY/MM/<batch_id>.tar.zst` in the archive repository
/// (`ARCHIVE_REPO`, `BatchArchiveRepository`), stored as an age file `….tar.zst.age` when encrypted to the
/// backup recipients. Archives written before the archive repository existed live under
/// `$BACKUP_REPO/archive/batches/…`; their `archive_uri` is absolute, so they still unarchive. A tar
/// (zstd) holding
///
/// - `requests.jsonl`: one line per `batch_requests` row in id order, each `row_to_json(row)::text`
///   followed by `\n`. The jsonb columns appear as PostgreSQL prints them, which is their canonical
///   form, so re-inserting a line gives back byte-identical jsonb (`request::text` is unchanged);
///   timestamps carry their offset and full microseconds.
/// - `manifest.json`: the batch, the row count and the SHA-256 of `requests.jsonl` (`BatchArchive.Manifest`).
///
/// The SHA-256 of the whole archive object as stored (the age file when encrypted) is stored in
/// `batches.archive_sha256`, so `batches unarchive` can prove the object is the one retention wrote
/// before it decrypts or unpacks a byte of it.
package enum BatchArchive {
    package static let requestsEntry = "requests.jsonl"
    package static let manifestEntry = "manifest.json"
    package static let format = "auto-i18n-ops batch archive 1"

    /// The manifest member.
    package struct Manifest: Codable, Sendable, Equatable {
        package var format: String
        /// `batches.batch_id` (the application's id) and `batches.id`.
        package var batchID: String
        package var batchPK: Int64
        package var table: String
        package var rows: Int64
        package var jsonlBytes: Int64
        package var jsonlSHA256: String
        package var createdAt: String

        enum CodingKeys: String, CodingKey {
            case format, table, rows
            case batchID = "batch_id", batchPK = "batch_pk", jsonlBytes = "jsonl_bytes"
            case jsonlSHA256 = "jsonl_sha256", createdAt = "created_at"
        }

        func encoded() throws -> [UInt8] {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            return Array(try encoder.encode(self)) + [UInt8(ascii: "\n")]
        }
    }

    /// The file name of a batch's archive without its extension: the application's batch id, with
    /// characters outside `[A-Za-z0-9._-]` percent-encoded so an id can never leave the directory or
    /// collide with another's file.
    static func fileName(_ batchID: String) -> String {
        var name = ""
        for byte in batchID.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                name.append(Character(UnicodeScalar(byte)))
            case UInt8(ascii: ".") where !name.isEmpty:
                name.append(".")
            default:
                name += String(format: "%%%02X", byte)
            }
        }
        return name
    }

    /// The `archive_uri` recorded for a file: `file://` and the absolute path.
    static func uri(path: String) -> String { "file://" + path }

    /// The file behind a `file://` `archive_uri`, or nil when it is not a local file URI.
    ///
    /// When the repository has moved since (the absolute path is gone), the same relative path
    /// `batches/YYYY/MM/…` under the current archive repository (when local), or for an archive made
    /// before there was one, `archive/batches/…` under the current `BACKUP_REPO`, is used if present.
    static func localPath(uri: String, backupRepository: String, archiveRepository: String?) -> String? {
        guard uri.hasPrefix("file://") else { return nil }
        let path = String(uri.dropFirst("file://".count))
        if FileManager.default.fileExists(atPath: path) { return path }
        if let range = path.range(of: "/batches/", options: .backwards) {
            let relative = String(path[range.lowerBound...].dropFirst())
            var candidates: [String] = []
            if let archiveRepository { candidates.append((absolute(archiveRepository) as NSString).appendingPathComponent(relative)) }
            if path[..<range.lowerBound].hasSuffix("/archive") {
                candidates.append((absolute(backupRepository) as NSString).appendingPathComponent("archive/" + relative))
            }
            if let moved = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) { return moved }
        }
        return path
    }

    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return (path as NSString).standardizingPath }
        return ((FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path) as NSString).standardizingPath
    }
}
