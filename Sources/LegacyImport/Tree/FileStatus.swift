#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `lstat(2)` says about a path (symbolic links are not followed: the tree must hold real files).
package enum FileStatus: Sendable, Equatable {
    case file(size: Int64)
    case directory
    case symlink
    case other
    case missing

    package static func of(_ path: String) -> FileStatus {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file(size: Int64(info.st_size))
        case S_IFDIR: return .directory
        case S_IFLNK: return .symlink
        default: return .other
        }
    }
}
