import Foundation

/// What a snapshot copy holds, stored as the archive's `manifest.json` member and beside the archive
/// as `<id>.manifest.json`, so a copy can be checked without unpacking it first. The copy beside the
/// archive also carries `archive`: the archive object's name, size and SHA-256 as stored (of the age
/// file when encrypted), so it can be checked without the identity. Nothing in it is secret (file
/// names, sizes, checksums, the server's URL without credentials).
package struct SnapshotManifest: Codable, Sendable, Hashable {
    /// The archive object as stored (only in the manifest beside it).
    package struct Archive: Codable, Sendable, Hashable {
        /// The archive's file name (`<id>.tar.zst` or `<id>.tar.zst.age`).
        package var name: String
        package var bytes: Int64
        /// Lower-case hex SHA-256 of the object as stored.
        package var sha256: String
        package var encrypted: Bool
    }

    package struct File: Codable, Sendable, Hashable {
        /// The member name in the archive (the file's base name).
        package var name: String
        package var bytes: Int64
        /// Lower-case hex SHA-256 of the file's bytes.
        package var sha256: String
    }

    package static let currentVersion = 1

    package var formatVersion: Int
    /// `20261126T091400Z`: the archive's name without `.tar.zst`.
    package var id: String
    /// ISO 8601, UTC.
    package var createdAt: String
    /// `dragonfly` or `redis`.
    package var server: String
    package var serverVersion: String
    /// `redis://host:port`, without credentials.
    package var serverURL: String
    /// `df` or `rdb`.
    package var snapshotFormat: String?
    /// The server's timestamp of the save (Redis: completion, Dragonfly: start), Unix seconds.
    package var saveTime: Int64?
    /// The directory the files were read from.
    package var sourceDirectory: String
    package var files: [File]
    /// Only beside the archive; nil in the member and in copies made before it existed.
    package var archive: Archive?

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version", id, createdAt = "created_at", server, serverVersion = "server_version"
        case serverURL = "server_url", snapshotFormat = "snapshot_format", saveTime = "save_time"
        case sourceDirectory = "source_directory", files, archive
    }

    /// Pretty JSON with sorted keys and a final newline.
    package func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self)) + [UInt8(ascii: "\n")]
    }

    package static func decode(_ bytes: [UInt8]) throws -> SnapshotManifest {
        try JSONDecoder().decode(SnapshotManifest.self, from: Data(bytes))
    }
}
