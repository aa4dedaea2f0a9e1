import struct Foundation.Date

/// The header of one archive entry, as read back.
public struct ArchiveEntryInfo: Sendable, Hashable {
    /// The entry's path inside the archive (UTF-8).
    public var name: String
    /// The size of the entry's body in bytes.
    public var size: Int64
    /// Permission bits, e.g. `0o600`.
    public var mode: UInt16
    /// Modification time, whole seconds.
    public var modificationTime: Date
    /// False for directories, links and other non-regular entries (which have no body).
    public var isRegularFile: Bool

    public init(name: String, size: Int64, mode: UInt16, modificationTime: Date, isRegularFile: Bool = true) {
        self.name = name
        self.size = size
        self.mode = mode
        self.modificationTime = modificationTime
        self.isRegularFile = isRegularFile
    }
}
