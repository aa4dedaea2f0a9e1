import Foundation

/// The files of one finished snapshot: the name the server gave, and the files themselves when the
/// server's directory is readable on this host.
public struct SnapshotFileSet: Sendable, Hashable {
    /// One file on this host.
    public struct LocalFile: Sendable, Hashable {
        public var path: String
        public var size: Int64
        public var modificationTime: Date

        public init(path: String, size: Int64, modificationTime: Date) {
            self.path = path
            self.size = size
            self.modificationTime = modificationTime
        }
    }

    /// As the server names it: `<dir>/<dbfilename>` (Redis) or `last_saved_file` resolved against
    /// `dir` (Dragonfly; for the DF format, the summary file).
    public var reportedPath: String
    /// The snapshot's files on this host (Dragonfly DF: the summary file and every shard file); empty
    /// when the directory is not readable here or holds no file written since the trigger.
    public var localFiles: [LocalFile]
    /// Why `localFiles` is empty, for `--copy-to-repo`'s error.
    public var unavailableReason: String?

    public init(reportedPath: String, localFiles: [LocalFile], unavailableReason: String? = nil) {
        self.reportedPath = reportedPath
        self.localFiles = localFiles
        self.unavailableReason = unavailableReason
    }

    /// Total size of the local files, or `nil` when they are not readable here.
    public var bytes: Int64? { localFiles.isEmpty ? nil : localFiles.reduce(0) { $0 + $1.size } }
}
