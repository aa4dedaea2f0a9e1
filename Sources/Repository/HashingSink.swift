import Crypto
import OpsSupport

/// Passes bytes through to another sink, counting them and hashing them with SHA-256: the size and
/// checksum of an object exactly as stored (after compression and encryption), for its manifest.
package final class HashingSink: ByteSink {
    private let inner: any ByteSink
    private var hasher = SHA256()
    package private(set) var bytes: Int64 = 0
    private var digest: String?

    package init(_ inner: any ByteSink) {
        self.inner = inner
    }

    package func write(_ buffer: UnsafeRawBufferPointer) throws {
        try inner.write(buffer)
        hasher.update(bufferPointer: buffer)
        bytes += Int64(buffer.count)
    }

    /// Publishes the inner sink; `sha256` is final from here on.
    package func publish() throws {
        digest = hasher.finalizeHex()
        try inner.publish()
    }

    package func discard() { inner.discard() }

    /// The hex SHA-256 of everything written so far (final once `publish()` is called).
    package var sha256: String { digest ?? hasher.finalizeHex() }
}
