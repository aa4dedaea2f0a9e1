import Foundation
import OpsSupport

/// Settings of a streamed upload.
package struct S3UploadOptions: Sendable {
    /// Size of the first 1000 parts; later parts grow (see `partSize(forPart:)`). S3's minimum part
    /// size is 5 MiB; 8 MiB by default.
    package var basePartSize: Int = 8 * 1024 * 1024
    /// Parts uploading at once while the next one fills. With the defaults the sink holds at most
    /// 3 × 8 MiB = 24 MiB of part buffers. A rate-limited client uploads one part at a time, so the
    /// cap holds for the whole upload.
    package var maxConcurrentParts: Int = 2
    package var contentType: String = "application/octet-stream"

    package init() {}

    /// The size of part `number` (1-based): the base size for parts 1–1000, twice it for 1001–2000,
    /// four times for 2001–3000, then eight times (64 MiB at the default) up to part 10,000, so with
    /// the defaults one object may reach about 492 GiB (504,000 MiB) without exceeding S3's 10,000-part limit.
    package func partSize(forPart number: Int) -> Int {
        switch number {
        case ...1000: return basePartSize
        case ...2000: return basePartSize * 2
        case ...3000: return basePartSize * 4
        default: return basePartSize * 8
        }
    }

    /// The largest object these settings can upload.
    package var maximumObjectSize: Int64 {
        Int64(basePartSize) * (1000 + 2000 + 4000 + 7000 * 8)
    }
}

/// A `ByteSink` that streams one object into S3 with a multipart upload.
///
/// Parts fill in memory on the writer's thread; full parts upload on background threads (at most
/// `maxConcurrentParts` at once, so memory stays bounded and `write` blocks when the network is the
/// bottleneck). `publish()` uploads the last part and completes the upload: only then does the
/// object exist under its key. An object smaller than one part is sent with a single PutObject.
/// `discard()` (or any failure) aborts the multipart upload, so nothing is listed; a process killed
/// mid-upload leaves an unfinished upload for `S3Client.abortStaleUploads` to remove.
///
/// `@unchecked Sendable`: the state shared with the part threads is guarded by `condition`; the
/// writer side is used from one thread at a time, as `ByteSink` requires.
package final class S3UploadSink: ByteSink, @unchecked Sendable {
    package let bucket: String
    package let key: String
    private let client: S3Client
    private let options: S3UploadOptions
    private let concurrency: Int

    private var buffer: [UInt8] = []
    private var nextPart = 1
    private var uploadId: String?
    private var finished = false
    private var bytesWritten: Int64 = 0

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var inFlight = 0
    private var uploaded: [Int: S3UploadedPart] = [:]
    private var failure: (any Error)?

    package init(client: S3Client, bucket: String, key: String, options: S3UploadOptions = S3UploadOptions()) {
        self.client = client
        self.bucket = bucket
        self.key = key
        self.options = options
        self.concurrency = client.settings.rateLimit == nil ? max(1, options.maxConcurrentParts) : 1
        buffer.reserveCapacity(options.partSize(forPart: 1))
    }

    /// Bytes accepted so far.
    package var size: Int64 { bytesWritten }

    package func write(_ bytes: UnsafeRawBufferPointer) throws {
        try checkUsable()
        var rest = bytes[...]
        while !rest.isEmpty {
            let capacity = options.partSize(forPart: nextPart)
            let n = min(capacity - buffer.count, rest.count)
            buffer.append(contentsOf: rest.prefix(n))
            rest = rest.dropFirst(n)
            bytesWritten += Int64(n)
            if buffer.count == capacity { try dispatchFullPart() }
        }
    }

    package func publish() throws {
        try checkUsable()
        do {
            if uploadId == nil {
                try client.putObject(bucket: bucket, key: key, bytes: buffer, contentType: options.contentType)
            } else {
                if !buffer.isEmpty { try dispatchFullPart() }
                try waitForParts(limit: 0)
                condition.lock()
                let parts = Array(uploaded.values)
                condition.unlock()
                guard parts.count == nextPart - 1 else {
                    throw S3Error(.integrity, "upload of s3://\(bucket)/\(key): \(parts.count) of \(nextPart - 1) parts confirmed")
                }
                try client.completeMultipartUpload(bucket: bucket, key: key, uploadId: uploadId!, parts: parts)
            }
            finished = true
            buffer = []
        } catch {
            record(error)
            discard()
            throw error
        }
    }

    package func discard() {
        guard !finished else { return }
        finished = true
        buffer = []
        try? waitForParts(limit: 0, ignoringFailure: true)
        if let id = uploadId {
            try? client.abortMultipartUpload(bucket: bucket, key: key, uploadId: id)
        }
    }

    // MARK: - parts

    private func checkUsable() throws {
        condition.lock()
        let failed = failure
        condition.unlock()
        if let failed { throw failed }
        if finished { throw S3Error(.failed, "upload of s3://\(bucket)/\(key) is already published or discarded") }
    }

    private func record(_ error: any Error) {
        condition.lock()
        if failure == nil { failure = error }
        condition.unlock()
    }

    private func dispatchFullPart() throws {
        let number = nextPart
        guard number <= 10_000 else {
            let error = S3Error(.tooLarge, "upload of s3://\(bucket)/\(key) exceeds S3's 10,000-part limit (\(ByteFormat.mib(options.maximumObjectSize)) max)")
            record(error)
            throw error
        }
        do {
            if uploadId == nil {
                uploadId = try client.createMultipartUpload(bucket: bucket, key: key, contentType: options.contentType)
            }
            // Memory bound: one part filling plus at most `limit` uploading.
            let partBytes = options.partSize(forPart: number)
            let budget = options.basePartSize * (concurrency + 1)
            let limit = max(1, min(concurrency, budget / partBytes - 1))
            try waitForParts(limit: limit - 1)
        } catch {
            record(error)
            throw error
        }
        let part = buffer
        buffer = []
        buffer.reserveCapacity(options.partSize(forPart: number + 1))
        nextPart += 1
        condition.lock()
        inFlight += 1
        condition.unlock()
        let id = uploadId!
        let thread = Thread { [self] in
            let result = Result { try client.uploadPart(bucket: bucket, key: key, uploadId: id, partNumber: number, bytes: part) }
            condition.lock()
            switch result {
            case .success(let part): uploaded[number] = part
            case .failure(let error): if failure == nil { failure = error }
            }
            inFlight -= 1
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "s3-upload-part"
        thread.start()
    }

    /// Blocks until at most `limit` parts are in flight; throws the first part failure.
    private func waitForParts(limit: Int, ignoringFailure: Bool = false) throws {
        condition.lock()
        defer { condition.unlock() }
        while inFlight > limit && (ignoringFailure || failure == nil) { condition.wait() }
        if !ignoringFailure, let failure {
            // Let the other parts settle before the caller aborts the upload.
            while inFlight > 0 { condition.wait() }
            throw failure
        }
    }
}

enum ByteFormat {
    static func mib(_ bytes: Int64) -> String {
        bytes >= 1 << 30 ? String(format: "%.0f GiB", Double(bytes) / Double(1 << 30)) : String(format: "%.0f MiB", Double(bytes) / Double(1 << 20))
    }
}
