import OpsSupport
#if canImport(Glibc)
import Glibc
private let systemRead = Glibc.read
private let systemClose = Glibc.close
#elseif canImport(Darwin)
import Darwin
private let systemRead = Darwin.read
private let systemClose = Darwin.close
#endif

/// A file of the tree opened for reading, as a `ByteSource` (the project's seam for byte producers).
/// Reads are plain blocking `read(2)` calls: callers run on a connection's dedicated thread (COPY
/// producers) or in `BlockingIO`, never on the cooperative pool.
package final class ReadableFile: ByteSource {
    private var descriptor: Int32
    package let path: String

    package init(path: String) throws {
        self.path = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else {
            throw ImportRefusal(file: path, "cannot open: \(String(cString: strerror(errno)))")
        }
    }

    package func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = systemRead(descriptor, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw ImportRefusal(file: path, "cannot read: \(String(cString: strerror(errno)))")
        }
    }

    package func close() {
        if descriptor >= 0 { _ = systemClose(descriptor); descriptor = -1 }
    }

    deinit { close() }
}
