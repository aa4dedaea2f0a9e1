import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The free and total bytes of the filesystem holding a path (`statvfs`), as `df` shows them: what
/// node_exporter's `node_filesystem_avail_bytes` would say for its mount point, without having to know
/// which mount point a directory lives on.
package struct FilesystemSpace: Sendable, Equatable {
    /// Bytes an unprivileged user may still write (`f_bavail`): the reserved blocks do not count.
    package var availableBytes: Int64
    package var sizeBytes: Int64

    package init(availableBytes: Int64, sizeBytes: Int64) {
        self.availableBytes = availableBytes
        self.sizeBytes = sizeBytes
    }

    /// The filesystem of `path`, or of its nearest existing ancestor (a repository not created yet);
    /// nil when `statvfs` fails otherwise. Blocks on a hung network filesystem: call off the cooperative pool.
    package static func of(_ path: String) -> FilesystemSpace? {
        var candidate = path.isEmpty ? "." : path
        while true {
            var info = statvfs()
            if statvfs(candidate, &info) == 0 {
                let unit = Int64(clamping: info.f_frsize == 0 ? info.f_bsize : info.f_frsize)
                func bytes(_ blocks: UInt) -> Int64 {
                    let (product, overflow) = Int64(clamping: blocks).multipliedReportingOverflow(by: unit)
                    return overflow ? Int64.max : product
                }
                return FilesystemSpace(availableBytes: bytes(UInt(info.f_bavail)), sizeBytes: bytes(UInt(info.f_blocks)))
            }
            guard errno == ENOENT || errno == ENOTDIR else { return nil }
            let parent = (candidate as NSString).deletingLastPathComponent
            let next = parent.isEmpty ? "." : parent
            if next == candidate { return nil }
            candidate = next
        }
    }
}
