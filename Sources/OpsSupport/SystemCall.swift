#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A failed system call: what was attempted, on which path, and the C library's reason.
///
/// `description` is one line a human can act on, e.g.
/// `cannot write /var/lib/x/b.tar.zst.17.partial: No space left on device (ENOSPC)`.
package struct SystemError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The verb of the message: `create`, `write`, `fsync`, `rename … to …`.
    package var operation: String
    /// The file or directory the call was about.
    package var path: String
    /// `errno` as the call left it.
    package var errno: Int32

    package init(_ operation: String, path: String, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    package var reason: String { String(cString: strerror(errno)) }

    /// `ENOSPC`, `EACCES`, … for the errors users meet most; nil for the rest.
    package var symbolicName: String? {
        switch errno {
        case ENOSPC: "ENOSPC"
        case EDQUOT: "EDQUOT"
        case EACCES: "EACCES"
        case EPERM: "EPERM"
        case ENOENT: "ENOENT"
        case EROFS: "EROFS"
        case EIO: "EIO"
        case EEXIST: "EEXIST"
        case ENOTDIR: "ENOTDIR"
        case EISDIR: "EISDIR"
        default: nil
        }
    }

    package var description: String {
        "cannot \(operation) \(path): \(reason)" + (symbolicName.map { " (\($0))" } ?? "")
    }
}

/// The one funnel for POSIX calls, modelled on SwiftNIO's `System.swift` `syscall`: retries on `EINTR`
/// and turns a failure into a typed `SystemError`. Callers never read `errno` themselves.
package enum SystemCall {
    /// Runs `body` until it does not fail with `EINTR`.
    /// - Parameters:
    ///   - operation: the message's verb (`open`, `read`, …).
    ///   - path: what the call is about, for the message.
    ///   - body: the call; a negative result means failure with `errno` set.
    /// - Returns: the call's non-negative result.
    @inline(__always)
    @discardableResult
    package static func run<T: BinaryInteger>(_ operation: String, path: String, _ body: () -> T) throws -> T {
        while true {
            let result = body()
            if result >= 0 { return result }
            let code = Glibc.errno
            if code == EINTR { continue }
            throw SystemError(operation, path: path, errno: code)
        }
    }

    /// Opens `path`; the descriptor is close-on-exec.
    package static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o600, operation: String = "open") throws -> Int32 {
        try run(operation, path: path) { Glibc.open(path, flags | O_CLOEXEC, mode) }
    }

    /// Writes all of `bytes`, retrying short writes.
    package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            offset += try run("write", path: path) { Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset) }
        }
    }

    /// Reads up to `buffer.count` bytes; 0 at end of file.
    package static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        return try run("read", path: path) { Glibc.read(fd, base, buffer.count) }
    }

    package static func fsync(_ fd: Int32, path: String) throws {
        try run("fsync", path: path) { Glibc.fsync(fd) }
    }

    /// fstat: the file's size and modification time (seconds since 1970).
    package static func status(_ fd: Int32, path: String) throws -> (size: Int64, modified: Int) {
        var info = stat()
        try run("stat", path: path) { fstat(fd, &info) }
        return (Int64(info.st_size), Int(info.st_mtim.tv_sec))
    }

    package static func rename(_ from: String, to: String) throws {
        try run("rename \(from) to", path: to) { Glibc.rename(from, to) }
    }

    /// Closes `fd`; errors are ignored (Linux frees the descriptor even when close reports one).
    package static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// Removes `path`; a missing file is not an error.
    package static func unlinkIfPresent(_ path: String) {
        _ = Glibc.unlink(path)
    }

    /// Whether the process `pid` exists on this host (signal 0).
    package static func processExists(_ pid: Int32) -> Bool {
        Glibc.kill(pid, 0) == 0 || Glibc.errno == EPERM
    }

    package static var processID: Int32 { getpid() }
}

/// Reads a file sequentially through `SystemCall`, for streaming it into a hash or an archive; the
/// local `ByteSource`.
package final class FileReader: ByteSource {
    package let path: String
    private let fd: Int32
    private var closed = false

    package init(path: String) throws {
        self.path = path
        fd = try SystemCall.open(path, O_RDONLY, operation: "read")
    }

    /// Size and modification time of the open file.
    package func status() throws -> (size: Int64, modified: Int) {
        try SystemCall.status(fd, path: path)
    }

    /// Reads up to `buffer.count` bytes; 0 at end of file.
    package func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try SystemCall.read(fd, into: buffer, path: path)
    }

    /// Calls `body` with each chunk of the rest of the file.
    package func forEachChunk(size: Int = 1 << 16, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try read(into: buffer)
            if count == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    package func close() {
        guard !closed else { return }
        closed = true
        SystemCall.close(fd)
    }

    deinit { close() }
}
