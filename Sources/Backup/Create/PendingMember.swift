import Crypto
import Foundation
import OpsSupport

/// One `.sql` member on its way into the archive: its whole body (bounded by the chunk size) and its
/// checksum, computed by the stage that built it so hashing runs in parallel with the archive thread.
struct PendingMember: Sendable {
    var name: String
    var kind: BackupManifest.Member.Kind
    var body: [UInt8]
    var sha256: String
    var rows: Int64?
    var table: String?
    var items: [BackupManifest.Item]?

    init(name: String, kind: BackupManifest.Member.Kind, body: [UInt8], rows: Int64? = nil, table: String? = nil,
         items: [BackupManifest.Item]? = nil) {
        self.name = name
        self.kind = kind
        self.body = body
        self.sha256 = SHA256Hex.of(body)
        self.rows = rows
        self.table = table
        self.items = items
    }

    var manifestEntry: BackupManifest.Member {
        BackupManifest.Member(name: name, kind: kind, bytes: Int64(body.count), sha256: sha256, rows: rows, table: table, items: items)
    }
}

/// What the archive thread is handed: members in archive order, then the manifest, made from the list
/// of members it actually wrote.
enum SinkItem: Sendable {
    case member(PendingMember)
    case manifest(@Sendable ([BackupManifest.Member]) throws -> BackupManifest)
}
