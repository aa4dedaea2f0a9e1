/// Constants of the age-encryption.org/v1 format and a cheap detector.
package enum AgeFormat {
    /// The first line of every age v1 file (binary form).
    package static let versionLine: [UInt8] = Array("age-encryption.org/v1\n".utf8)
    /// The file name extension for age files, without the dot.
    package static let fileExtension = "age"
    /// Plaintext bytes per STREAM chunk.
    package static let chunkSize = 64 * 1024
    /// A header longer than this is refused (age headers are a few hundred bytes a recipient).
    package static let maximumHeaderSize = 1 << 20

    /// True when `prefix` (the first bytes of an object, at least 22 of them) starts like an age v1 file.
    /// Armored (PEM) age files are not detected: they are not offered.
    package static func looksLikeAge<Bytes: Collection<UInt8>>(prefix: Bytes) -> Bool {
        prefix.count >= versionLine.count && prefix.prefix(versionLine.count).elementsEqual(versionLine)
    }
}
