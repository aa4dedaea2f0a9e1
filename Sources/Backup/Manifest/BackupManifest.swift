import Foundation

/// `manifest.json`: what a backup archive holds and how to check it. It is the archive's last member
/// (not `.sql`, so `tar -xOf B --wildcards '*.sql' | psql` skips it) and is also kept beside the
/// archive as `<id>.manifest.json`, which is what `backup list` reads.
public struct BackupManifest: Codable, Sendable, Hashable {
    /// Bumped when the archive layout changes incompatibly.
    public static let currentFormatVersion = 1
    public static let memberName = "manifest.json"

    public var formatVersion: Int
    /// `OpsVersion.current` of the tool that wrote it.
    public var toolVersion: String
    /// `server_version` of the source, e.g. `15.18 (Debian 15.18-0+deb12u1)`.
    public var serverVersion: String
    public var serverVersionNumber: Int
    public var database: String
    /// The backup's id: its UTC start time, e.g. `20261126T090412Z`.
    public var id: String
    /// When the snapshot was taken (the transaction's start) and when the backup ended.
    public var snapshotStart: Date
    public var snapshotEnd: Date
    public var durationSeconds: Double
    public var options: Options
    /// The `SET` statements the script starts with; a parallel restore runs them on each connection.
    public var preamble: String
    /// Every member but the manifest itself, in archive order.
    public var members: [Member]
    /// Every table whose rows were copied, in the dump plan's order.
    public var tables: [Table]
    /// Sum of the members' uncompressed bytes.
    public var totalBytes: Int64
    public var totalRows: Int64

    public struct Options: Codable, Sendable, Hashable {
        public var compression: String
        public var level: Int
        public var jobs: Int
        public var noOwner: Bool
        public var noPrivileges: Bool
        public var excludeTableData: [String]
        public var chunkBytes: Int
    }

    /// One `.sql` member of the archive.
    public struct Member: Codable, Sendable, Hashable {
        public enum Kind: String, Codable, Sendable {
            case preData = "pre-data", data, sequenceSet = "sequence-set", postData = "post-data", finalize
        }
        public var name: String
        public var kind: Kind
        public var bytes: Int64
        /// Lower-case hex SHA-256 of the member's body.
        public var sha256: String
        /// For data members: the rows in this chunk, and the table (`schema.name`, unquoted).
        public var rows: Int64?
        public var table: String?
        /// For schema members: where each object's SQL starts and ends within the member.
        public var items: [Item]?
    }

    /// One object of a schema member, located by byte offsets.
    public struct Item: Codable, Sendable, Hashable {
        public var kind: String
        public var schema: String?
        public var name: String
        public var offset: Int64
        public var length: Int64
    }

    public struct Table: Codable, Sendable, Hashable {
        public var schema: String
        public var name: String
        /// Quoted as the server quotes it, e.g. `public."Files"`.
        public var qualifiedName: String
        public var rows: Int64
        public var bytes: Int64
        /// The data members holding its rows, in order.
        public var members: [String]

        /// `schema.name` unquoted, as messages and `--table` name it.
        public var displayName: String { "\(schema).\(name)" }
    }
}

extension BackupManifest {
    /// Stable, pretty JSON (sorted keys, ISO 8601 dates with fractional seconds).
    public func encoded() throws -> Data {
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
    public static func decode(_ data: Data, source: String) throws -> BackupManifest {
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

    /// `2026-11-26T09:04:12.345Z`.
    static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}
