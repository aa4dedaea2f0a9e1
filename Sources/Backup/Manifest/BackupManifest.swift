import Foundation

/// `manifest.json`: what a backup archive holds and how to check it. It is the archive's last member
/// (not `.sql`, so `tar -xOf B --wildcards '*.sql' | psql` skips it) and is also kept beside the
/// archive as `<id>.manifest.json`, which is what `backup list` reads.
package struct BackupManifest: Codable, Sendable, Hashable {
    /// Bumped when the archive layout changes incompatibly.
    package static let currentFormatVersion = 2
    package static let memberName = "manifest.json"
    /// The roles member: not `.sql`, so `tar -xOf B --wildcards '*.sql' | psql` does not run it.
    package static let globalsMemberName = "0500-globals.sql.optional"

    package var formatVersion: Int
    /// `OpsVersion.current` of the tool that wrote it.
    package var toolVersion: String
    /// `server_version` of the source, e.g. `15.18 (Debian 15.18-0+deb12u1)`.
    package var serverVersion: String
    package var serverVersionNumber: Int
    package var database: String
    /// The backup's id: its UTC start time, e.g. `20261126T090412Z`.
    package var id: String
    /// When the snapshot was taken (the transaction's start) and when the backup ended.
    package var snapshotStart: Date
    package var snapshotEnd: Date
    package var durationSeconds: Double
    package var options: Options
    /// The `SET` statements the script starts with; a parallel restore runs them on each connection.
    package var preamble: String
    /// Every member but the manifest itself, in archive order.
    package var members: [Member]
    /// Every table whose rows were copied, in the dump plan's order.
    package var tables: [Table]
    /// Sum of the members' uncompressed bytes.
    package var totalBytes: Int64
    package var totalRows: Int64
    /// Roles the dump's SQL names as owners and in grants (format 2; nil in older archives).
    package var ownerRoles: [String]?
    package var grantRoles: [String]?
    /// The source database's encoding, collation, provider and owner, for `restore --create` (format 2).
    package var sourceDatabase: SourceDatabase?
    /// The archive object as stored, recorded only in the manifest beside the archive (the archive
    /// cannot hold its own checksum): its name, size and the SHA-256 of its stored bytes (the
    /// ciphertext when encrypted), so `backup verify` without the identity and `backup copy` check the
    /// object as stored. Nil in the embedded manifest and in backups made before it existed.
    package var storedArchive: StoredArchive?

    package struct StoredArchive: Codable, Sendable, Hashable {
        /// `<id>.tar.zst` or `<id>.tar.zst.age`.
        package var name: String
        package var bytes: Int64
        /// Lower-case hex SHA-256 of the stored bytes.
        package var sha256: String
        /// The age recipients (public keys, `age1…`) it was encrypted to; nil when plain.
        package var recipients: [String]?

        package init(name: String, bytes: Int64, sha256: String, recipients: [String]?) {
            self.name = name
            self.bytes = bytes
            self.sha256 = sha256
            self.recipients = recipients
        }
    }

    /// The manifest as embedded in the archive: without `storedArchive`.
    package var withoutStoredArchive: BackupManifest {
        var copy = self
        copy.storedArchive = nil
        return copy
    }

    package struct SourceDatabase: Codable, Sendable, Hashable {
        package var encoding: String
        package var collate: String
        package var ctype: String
        /// `c` (libc) or `i` (ICU).
        package var localeProvider: String
        package var iculocale: String?
        package var owner: String
    }

    package struct Options: Codable, Sendable, Hashable {
        package var compression: String
        package var level: Int
        package var jobs: Int
        package var noOwner: Bool
        package var noPrivileges: Bool
        package var excludeTableData: [String]
        package var chunkBytes: Int
    }

    /// One `.sql` member of the archive.
    package struct Member: Codable, Sendable, Hashable {
        package enum Kind: String, Codable, Sendable {
            case preData = "pre-data", data, sequenceSet = "sequence-set", postData = "post-data", finalize
            /// `0500-globals.sql.optional`: the roles, not run by default (format 2).
            case globals
        }
        package var name: String
        package var kind: Kind
        package var bytes: Int64
        /// Lower-case hex SHA-256 of the member's body.
        package var sha256: String
        /// For data members: the rows in this chunk, and the table (`schema.name`, unquoted).
        package var rows: Int64?
        package var table: String?
        /// For schema members: where each object's SQL starts and ends within the member.
        package var items: [Item]?
    }

    /// One object of a schema member, located by byte offsets.
    package struct Item: Codable, Sendable, Hashable {
        package var kind: String
        package var schema: String?
        package var name: String
        package var offset: Int64
        package var length: Int64
    }

    package struct Table: Codable, Sendable, Hashable {
        package var schema: String
        package var name: String
        /// Quoted as the server quotes it, e.g. `public."Files"`.
        package var qualifiedName: String
        package var rows: Int64
        package var bytes: Int64
        /// The data members holding its rows, in order.
        package var members: [String]

        /// `schema.name` unquoted, as messages and `--table` name it.
        package var displayName: String { "\(schema).\(name)" }
    }
}

extension BackupManifest {
    /// Stable, pretty JSON (sorted keys, ISO 8601 dates with fractional seconds).
    package func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(BackupManifest.timestampStyle.format(date))
        }
        var data = try encoder.encode(self)
        data.append(0x0A)
        return data
    }

    /// Parses a manifest.
    /// - Parameter source: names the file in the error.
    package static func decode(_ data: Data, source: String) throws -> BackupManifest {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = try? timestampStyle.parse(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad timestamp \(text)"))
            }
            return date
        }
        let manifest: BackupManifest
        do { manifest = try decoder.decode(BackupManifest.self, from: data) }
        catch {
            throw BackupError(.invalidArchive, "\(source) is not a valid backup manifest: \(String(describing: error).prefix(200))")
        }
        guard manifest.formatVersion <= currentFormatVersion else {
            throw BackupError(.invalidArchive, "\(source) has manifest format \(manifest.formatVersion), newer than this tool's \(currentFormatVersion); use a newer auto-i18n-ops")
        }
        return manifest
    }

    /// The manifest kept beside the archive: the embedded manifest's own bytes with `storedArchive`
    /// added, so every other field reads back exactly as the embedded one does (re-encoding decoded
    /// dates could move a millisecond).
    package static func besideData(embedded: Data, stored: StoredArchive) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let object = String(decoding: try encoder.encode(stored), as: UTF8.self).replacingOccurrences(of: "\n", with: "\n  ")
        var text = String(decoding: embedded, as: UTF8.self)
        while text.last?.isWhitespace == true { text.removeLast() }
        guard text.hasSuffix("}") else { throw BackupError(.io, "backup failed: the manifest is not a JSON object") }
        text.removeLast()
        while text.last?.isWhitespace == true { text.removeLast() }
        text += ",\n  \"storedArchive\" : \(object)\n}\n"
        return Data(text.utf8)
    }

    /// `2026-11-26T09:04:12.345Z`.
    static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}
