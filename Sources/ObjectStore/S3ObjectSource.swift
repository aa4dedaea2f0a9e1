import Foundation
import HTTPClient
import OpsSupport

/// A `ByteSource` that streams one object (or a byte range of it) with GET.
///
/// A background thread runs the transfer and hands chunks over through a bounded buffer (4 MiB by
/// default), so memory stays bounded and a slow reader slows the download. When the connection drops
/// or stalls mid-body, the read resumes with `Range: bytes=<next>-` and `If-Match: <ETag>` (the same
/// object, not a newer one), at most `maxResumes` times per read. At the end the
/// number of bytes received must equal the length the store announced.
///
/// `@unchecked Sendable`: shared state is guarded by `condition`; `read` is called from one thread
/// at a time, as `ByteSource` requires.
package final class S3ObjectSource: ByteSource, @unchecked Sendable {
    package let bucket: String
    package let key: String
    private let client: S3Client
    private let maxResumes: Int
    private let bufferLimit: Int

    private let condition = NSCondition()
    private var chunks: [[UInt8]] = []
    private var chunkOffset = 0
    private var buffered = 0
    private var ended = false
    private var failure: (any Error)?
    private var closed = false
    private var producerDone = false
    private var announcedLength: Int64?

    /// - Parameters:
    ///   - range: an inclusive byte range to read instead of the whole object.
    ///   - maxResumes: resumed requests allowed in all (each after a dropped or stalled connection).
    package init(client: S3Client, bucket: String, key: String, range: ClosedRange<Int64>? = nil,
                 maxResumes: Int = 10, bufferLimit: Int = 4 * 1024 * 1024) {
        self.client = client
        self.bucket = bucket
        self.key = key
        self.maxResumes = maxResumes
        self.bufferLimit = max(64 * 1024, bufferLimit)
        let thread = Thread { [self] in produce(range: range) }
        thread.name = "s3-get"
        thread.start()
    }

    deinit { close() }

    /// The length of what is being read, once the store has answered.
    package var length: Int64? {
        condition.lock()
        defer { condition.unlock() }
        return announcedLength
    }

    package func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        condition.lock()
        defer { condition.unlock() }
        while chunks.isEmpty && !ended && failure == nil && !closed { condition.wait() }
        if closed { throw S3Error(.failed, "read of s3://\(bucket)/\(key) after close") }
        if chunks.isEmpty {
            if let failure { throw failure }
            return 0
        }
        var copied = 0
        while copied < buffer.count, let first = chunks.first {
            let n = min(buffer.count - copied, first.count - chunkOffset)
            first.withUnsafeBytes { src in
                UnsafeMutableRawBufferPointer(rebasing: buffer[copied..<copied + n])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: src[chunkOffset..<chunkOffset + n]))
            }
            copied += n
            chunkOffset += n
            if chunkOffset == first.count {
                chunks.removeFirst()
                chunkOffset = 0
            }
        }
        buffered -= copied
        condition.broadcast()
        return copied
    }

    package func close() {
        condition.lock()
        closed = true
        chunks = []
        buffered = 0
        condition.broadcast()
        condition.unlock()
    }

    private struct Cancelled: Error {}

    // MARK: - producer thread

    private func produce(range: ClosedRange<Int64>?) {
        let base = range?.lowerBound ?? 0
        var next = base
        var end: Int64? = range.map { $0.upperBound + 1 } // exclusive, once known
        var lengthPublished = false
        var etag: String?
        var resumes = 0
        var first = true
        while true {
            do {
                if let end, next >= end, !first { break }
                // The first request asks for what the caller asked; a resumed one for the rest.
                let requestRange: ClosedRange<Int64>? = first ? range : end.map { next...($0 - 1) }
                let sentRange = requestRange != nil || !first
                var sawHead = false
                try client.getObject(bucket: bucket, key: key, range: requestRange, from: requestRange == nil && !first ? next : nil,
                                     ifMatch: etag) { head, chunk in
                    if !sawHead {
                        sawHead = true
                        if sentRange && head.status != 206 {
                            throw S3Error(.integrity, "GetObject s3://\(bucket)/\(key): the store ignored the Range header (HTTP \(head.status))")
                        }
                        if etag == nil { etag = head.header("ETag") }
                        let announced = try Self.announcedEnd(head: head, requestedFrom: next)
                        end = min(announced, end ?? announced)
                        if !lengthPublished { lengthPublished = true; publishLength(end! - base) }
                    }
                    try push(chunk)
                    next += Int64(chunk.count)
                }
                if first && !sawHead {
                    // An empty body: an empty object (or range).
                    end = next
                    publishLength(next - base)
                }
                first = false
                if let end, next >= end { break }
                // Short body without a transport error: resume.
                throw HTTPError(code: .connectionLost, curlCode: 18, message: "GetObject s3://\(bucket)/\(key): body ended early at byte \(next)")
            } catch is Cancelled {
                return finish(nil)
            } catch {
                first = false
                let transient = ((error as? HTTPError)?.isTransient ?? false) || ((error as? S3Error)?.code == .unreachable)
                resumes += 1
                guard transient, end != nil, resumes <= maxResumes else {
                    if transient, resumes > maxResumes {
                        return finish(S3Error(.unreachable, "GetObject s3://\(bucket)/\(key): connection lost at byte \(next) and \(maxResumes) resumed reads failed: \(error)"))
                    }
                    return finish(error)
                }
                Thread.sleep(forTimeInterval: client.settings.retry.delay(afterAttempt: resumes))
            }
        }
        finish(nil)
    }

    /// The exclusive end offset from Content-Range (`bytes a-b/total`) or Content-Length.
    private static func announcedEnd(head: HTTPResponseHead, requestedFrom: Int64) throws -> Int64 {
        if head.status == 206, let contentRange = head.header("Content-Range"),
           let slash = contentRange.firstIndex(of: "/"), let dash = contentRange.firstIndex(of: "-") {
            let lastByte = contentRange[contentRange.index(after: dash)..<slash]
            if let last = Int64(lastByte) { return last + 1 }
        }
        if let length = head.header("Content-Length").flatMap({ Int64($0) }) {
            return (head.status == 206 ? requestedFrom : 0) + length
        }
        throw S3Error(.integrity, "GetObject: the store announced no length (no Content-Length or Content-Range)")
    }

    private func publishLength(_ length: Int64) {
        condition.lock()
        announcedLength = length
        condition.unlock()
    }

    private func push(_ chunk: UnsafeRawBufferPointer) throws {
        guard chunk.count > 0 else { return }
        condition.lock()
        defer { condition.unlock() }
        while buffered >= bufferLimit && !closed { condition.wait() }
        if closed { throw Cancelled() }
        chunks.append(Array(chunk))
        buffered += chunk.count
        condition.broadcast()
    }

    private func finish(_ error: (any Error)?) {
        condition.lock()
        if let error { failure = error } else { ended = true }
        producerDone = true
        condition.broadcast()
        condition.unlock()
    }
}
