import OpsSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file of the tree opened for reading, as a `ByteSource` (the project's seam for byte producers),
/// over the `SystemCall` funnel; errors become refusals naming the file. Reads are blocking: callers
/// run on a connection's dedicated thread (COPY producers), never on the cooperative pool.
package final class ReadableFile: ByteSource {
    private var descriptor: Int32
    package let path: String

    package init(path: String) throws {
        self.path = path
        do { descriptor = try SystemCall.open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) } catch let error as SystemError {
            throw ImportRefusal(file: path, "cannot open: \(error.reason)")
        }
    }

    package func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        do { return try SystemCall.read(descriptor, into: buffer, path: path) } catch let error as SystemError {
            throw ImportRefusal(file: path, "cannot read: \(error.reason)")
        }
    }

    package func close() {
        if descriptor >= 0 { SystemCall.close(descriptor); descriptor = -1 }
    }

    deinit { close() }
}
