import Foundation

/// The files of one finished snapshot: the name the server gave, and the files themselves when the
/// server's directory is readable on this host.
package struct SnapshotFileSet: Sendable, Hashable {
    /// One file on this host.
    package struct LocalFile: Sendable, Hashable {
        package var path: String
        package var size: Int64
        package var modificationTime: Date

        package init(path: String, size: Int64, modificationTime: Date) {
            self.path = path
            self.size = size
            self.modificationTime = modificationTime
        }
    }

    /// As the server names it: `<dir>/<dbfilename>` (Redis) or `last_saved_file` resolved against
    /// `dir` (Dragonfly; for the DF format, the summary file).
    package var reportedPath: String
    /// The snapshot's files on this host (Dragonfly DF: the summary file and every shard file); empty
    /// when the directory is not readable here or holds no file written since the trigger.
    package var localFiles: [LocalFile]
    /// Why `localFiles` is empty, for `--copy-to-repo`'s error.
    package var unavailableReason: String?

    package init(reportedPath: String, localFiles: [LocalFile], unavailableReason: String? = nil) {
        self.reportedPath = reportedPath
        self.localFiles = localFiles
        self.unavailableReason = unavailableReason
    }

    /// Total size of the local files, or `nil` when they are not readable here.
    package var bytes: Int64? { localFiles.isEmpty ? nil : localFiles.reduce(0) { $0 + $1.size } }
}
