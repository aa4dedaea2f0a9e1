import Foundation

/// `<id>.verified.json`: the last successful `backup verify` of a backup.
package struct BackupVerification: Codable, Sendable, Hashable {
    package var verifiedAt: Date
    /// Every member's SHA-256 matched the manifest.
    package var checksums: Bool
    /// A restore into a scratch database succeeded and its row counts matched the manifest.
    package var restoreTest: Bool
    package var toolVersion: String
    /// True when only the stored (encrypted) object's SHA-256 was checked, without the identity;
    /// nil or false when every member was.
    package var storedObjectOnly: Bool?

    package init(verifiedAt: Date, checksums: Bool, restoreTest: Bool, toolVersion: String, storedObjectOnly: Bool? = nil) {
        self.storedObjectOnly = storedObjectOnly
        self.verifiedAt = verifiedAt
        self.checksums = checksums
        self.restoreTest = restoreTest
        self.toolVersion = toolVersion
    }

    package func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        var data = try encoder.encode(self)
        data.append(0x0A)
        return data
    }

    package static func decode(_ data: Data) throws -> BackupVerification {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(BackupVerification.self, from: data)
    }
}
