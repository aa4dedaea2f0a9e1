import struct Foundation.Date

/// The header of one archive entry, as read back.
package struct ArchiveEntryInfo: Sendable, Hashable {
    /// The entry's path inside the archive (UTF-8).
    package var name: String
    /// The size of the entry's body in bytes.
    package var size: Int64
    /// Permission bits, e.g. `0o600`.
    package var mode: UInt16
    /// Modification time, whole seconds.
    package var modificationTime: Date
    /// False for directories, links and other non-regular entries (which have no body).
    package var isRegularFile: Bool

    package init(name: String, size: Int64, mode: UInt16, modificationTime: Date, isRegularFile: Bool = true) {
        self.name = name
        self.size = size
        self.mode = mode
        self.modificationTime = modificationTime
        self.isRegularFile = isRegularFile
    }
}
