import Foundation
import ObjectStore
import OpsSupport

/// Paces bytes to a `RateLimit` for local repositories (S3 transfers are capped by libcurl itself):
/// after each write or read, sleeps until the bytes so far are no ahead of the rate. Blocking, like
/// the streams it wraps.
struct Pacer {
    let bytesPerSecond: Double
    private let start = ContinuousClock.now
    private var bytes: Int64 = 0

    init(_ limit: RateLimit) { bytesPerSecond = Double(limit.bytesPerSecond) }

    mutating func account(_ count: Int) {
        bytes += Int64(count)
        let due = Double(bytes) / bytesPerSecond
        let elapsed = ContinuousClock.now - start
        let ahead = due - (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        if ahead > 0.001 { Thread.sleep(forTimeInterval: ahead) }
    }
}

/// A sink whose writes are paced by a `RateLimit`.
final class ThrottledSink: ByteSink {
    private let inner: any ByteSink
    private var pacer: Pacer

    init(_ inner: any ByteSink, limit: RateLimit) {
        self.inner = inner
        pacer = Pacer(limit)
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try inner.write(bytes)
        pacer.account(bytes.count)
    }

    func publish() throws { try inner.publish() }
    func discard() { inner.discard() }
}

/// A source whose reads are paced by a `RateLimit`.
final class ThrottledSource: ByteSource {
    private let inner: any ByteSource
    private var pacer: Pacer

    init(_ inner: any ByteSource, limit: RateLimit) {
        self.inner = inner
        pacer = Pacer(limit)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = try inner.read(into: buffer)
        pacer.account(count)
        return count
    }

    func close() { inner.close() }
}
