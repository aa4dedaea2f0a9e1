/// The seam between producers of bytes (the archive writer, age encryption) and where the bytes go (a
/// local file published atomically, an S3 multipart upload), and the reverse for readers.
///
/// Both sides are synchronous and called from one blocking-I/O thread at a time (libarchive's callbacks,
/// `BlockingIO.run`), never from Swift's cooperative pool. Implementations that need concurrency (an S3
/// upload keeping a part in flight) own their threads and bound their memory.

/// A destination for one object's bytes.
///
/// Nothing is visible under the final name until `publish()` returns; `discard()` (or a failed
/// `publish()`) leaves nothing visible. After an error every later call throws.
package protocol ByteSink: AnyObject {
    /// Appends `bytes`; may block (disk, network, back-pressure).
    func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Makes the object durable and visible under its final name, atomically.
    func publish() throws
    /// Abandons the object: removes what was written; never throws, safe to call twice or after publish.
    func discard()
}

extension ByteSink {
    package func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }
}

/// A source of one object's bytes, read from the start.
package protocol ByteSource: AnyObject {
    /// Reads up to `buffer.count` bytes into `buffer`; returns 0 only at the end of the object.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// Releases the source (file descriptor, connection); safe to call twice.
    func close()
}

extension ByteSource {
    /// Reads until `buffer` is full or the object ends; returns the number of bytes read.
    package func readFully(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if n == 0 { break }
            filled += n
        }
        return filled
    }
}
