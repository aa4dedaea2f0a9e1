import Crypto
import Foundation
import HTTPClient
import OpsSupport

/// A blocking S3 client: signed requests over a small pool of keep-alive libcurl connections.
///
/// Every method blocks the calling thread; call them from a dedicated thread or `BlockingIO.run`,
/// never from Swift's cooperative pool. Several threads may use one client at once: each request
/// takes a connection from the pool (or opens one) and gives it back. `@unchecked Sendable` because
/// the pool is guarded by a lock and everything else is immutable.
package final class S3Client: @unchecked Sendable {
    package let configuration: S3Configuration
    package let settings: S3TransferSettings
    private let signer: SigV4Signer
    private let poolLock = NSLock()
    private var pool: [HTTPConnection] = []

    package init(configuration: S3Configuration, settings: S3TransferSettings = S3TransferSettings()) {
        self.configuration = configuration
        self.settings = settings
        self.signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region, service: "s3")
    }

    /// A request body.
    package enum Body {
        case none
        /// Small, in memory: signed with its SHA-256 and retried as needed.
        case bytes([UInt8])
        /// Streamed from `provider` (fills the buffer, returns the count, 0 at the end); sent with
        /// `UNSIGNED-PAYLOAD` and never retried (the stream cannot be replayed).
        case stream(length: Int64, provider: (UnsafeMutableRawBufferPointer) throws -> Int)
    }

    /// What a successful request returned.
    package struct Response: Sendable {
        package var head: HTTPResponseHead
        /// The body, when the caller did not stream it.
        package var body: [UInt8]
        /// The `x-amz-checksum-sha256` the request carried (base64), when it was asked for.
        package var checksumSHA256: String? = nil
    }

    // MARK: - request core

    /// Sends one signed request, with retries, and returns the 2xx response.
    ///
    /// - Parameters:
    ///   - operation: what to call it in messages (`GetObject`).
    ///   - key: object key (nil for bucket-level requests).
    ///   - onBody: streams a 2xx body; nil collects it into `Response.body`. Once a chunk has been
    ///     handed to `onBody` the request is not retried (the consumer has seen bytes).
    ///   - checksumSHA256: send a `.bytes` body's SHA-256 (the digest signed as the payload hash) as
    ///     `x-amz-checksum-sha256` too, so the store verifies the body and keeps the checksum.
    package func send(
        _ operation: String,
        method: String,
        bucket: String,
        key: String? = nil,
        query: [(name: String, value: String)] = [],
        headers: [(name: String, value: String)] = [],
        body: Body = .none,
        checksumSHA256: Bool = false,
        onBody: ((HTTPResponseHead, UnsafeRawBufferPointer) throws -> Void)? = nil
    ) throws -> Response {
        let target = configuration.target(bucket: bucket)
        var path = "/"
        if target.pathStyle { path += SigV4Signer.uriEncode(bucket, encodeSlash: true) + (key == nil ? "" : "/") }
        if let key { path += SigV4Signer.uriEncode(key, encodeSlash: false) }
        let queryString = query.map { q in
            SigV4Signer.uriEncode(q.name, encodeSlash: true) + "=" + SigV4Signer.uriEncode(q.value, encodeSlash: true)
        }.joined(separator: "&")
        let url = "\(target.scheme)://\(target.authority)\(path)\(queryString.isEmpty ? "" : "?" + queryString)"
        let what = "\(operation) s3://\(bucket)\(key.map { "/" + $0 } ?? "")"

        let payloadHash: String
        let bodyLength: Int64?
        var sentChecksum: String?
        var extraHeaders: [(name: String, value: String)] = []
        switch body {
        case .none:
            payloadHash = SigV4Signer.emptyPayloadHash
            bodyLength = method == "GET" || method == "HEAD" || method == "DELETE" ? nil : 0
        case .bytes(let bytes):
            let digest = SHA256.hash(data: bytes)
            payloadHash = SHA256Hex.string(digest)
            bodyLength = Int64(bytes.count)
            if checksumSHA256 { sentChecksum = Data(digest).base64EncodedString() }
        case .stream(let length, _):
            payloadHash = SigV4Signer.unsignedPayload
            bodyLength = length
        }
        if let bodyLength { extraHeaders.append(("Content-Length", String(bodyLength))) }
        if let sentChecksum { extraHeaders.append(("x-amz-checksum-sha256", sentChecksum)) }

        let policy = settings.retry
        let started = Date()
        var attempt = 0
        while true {
            attempt += 1
            var signedHeaders: [(name: String, value: String)] = [("Host", target.authority), ("x-amz-content-sha256", payloadHash)]
            signedHeaders += headers + extraHeaders
            let request = SigV4Signer.Request(method: method, canonicalURI: path, query: query, headers: signedHeaders, payloadHash: payloadHash)
            let allHeaders = signedHeaders + signer.sign(request, date: Date())

            var delivered = false
            var collected: [UInt8] = []
            var errorBody: [UInt8] = []
            var offset = 0
            let bytes: [UInt8]? = { if case .bytes(let b) = body { return b }; return nil }()
            let provider: ((UnsafeMutableRawBufferPointer) throws -> Int)?
            switch body {
            case .none: provider = bodyLength == nil ? nil : { _ in 0 }
            case .bytes:
                provider = { buffer in
                    let n = min(buffer.count, bytes!.count - offset)
                    if n > 0 { bytes!.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<offset + n])) } }
                    offset += n
                    return n
                }
            case .stream(_, let streamProvider): provider = streamProvider
            }

            let outcome: Result<HTTPResponseHead, any Error>
            do {
                let head = try withConnection { connection in
                    try connection.perform(
                        HTTPRequest(method: method, url: url, headers: allHeaders, bodyLength: bodyLength),
                        options: transferOptions(),
                        body: provider
                    ) { head, chunk in
                        if (200..<300).contains(head.status) {
                            if let onBody {
                                delivered = true
                                try onBody(head, chunk)
                            } else {
                                collected.append(contentsOf: chunk)
                            }
                        } else if errorBody.count < 65536 {
                            errorBody.append(contentsOf: chunk.prefix(65536 - errorBody.count))
                        }
                    }
                }
                outcome = .success(head)
            } catch {
                outcome = .failure(error)
            }

            let failure: S3Error
            let retryable: Bool
            switch outcome {
            case .success(let head) where (200..<300).contains(head.status):
                return Response(head: head, body: collected, checksumSHA256: sentChecksum)
            case .success(let head):
                failure = Self.error(for: head, body: errorBody, what: what, bucket: bucket)
                retryable = Self.isRetryable(status: head.status, s3Code: failure.s3Code)
            case .failure(let error as HTTPError) where error.code == .aborted:
                throw error.underlying ?? error
            case .failure(let error as HTTPError):
                failure = S3Error(error.code == .tls ? .unreachable : .unreachable,
                                  "\(what) failed: cannot talk to \(configuration.endpointDescription): \(error.message)")
                retryable = error.isTransient
            case .failure(let error):
                throw error
            }
            let replayable: Bool = { if case .stream = body { return false }; return !delivered }()
            let elapsed = Date().timeIntervalSince(started)
            let pause = policy.delay(afterAttempt: attempt)
            guard retryable, replayable, attempt < policy.maxAttempts, elapsed + pause <= policy.maxTotalTime else {
                if retryable && attempt > 1 {
                    var final = failure
                    final.message += String(format: " (gave up after %d attempts in %.1fs)", attempt, elapsed)
                    if final.code == .failed { final.code = .unreachable }
                    throw final
                }
                throw failure
            }
            Thread.sleep(forTimeInterval: pause)
        }
    }

    private func transferOptions() -> HTTPTransferOptions {
        var options = HTTPTransferOptions()
        options.connectTimeout = settings.connectTimeout
        options.lowSpeedTime = settings.stallTimeout
        options.caBundlePath = configuration.caBundlePath
        options.maxSendBytesPerSecond = settings.rateLimit?.bytesPerSecond
        options.maxReceiveBytesPerSecond = settings.rateLimit?.bytesPerSecond
        return options
    }

    private func withConnection<T>(_ body: (HTTPConnection) throws -> T) throws -> T {
        poolLock.lock()
        let pooled = pool.popLast()
        poolLock.unlock()
        let connection = try pooled ?? HTTPConnection()
        do {
            let result = try body(connection)
            poolLock.lock()
            if pool.count < 8 { pool.append(connection) }
            poolLock.unlock()
            return result
        } catch {
            // A failed transfer may leave the connection in any state: drop it.
            throw error
        }
    }

    static func isRetryable(status: Int, s3Code: String?) -> Bool {
        if let s3Code, S3Error.authenticationCodes.contains(s3Code) { return false }
        if status >= 500 || status == 429 { return true }
        if let s3Code, S3Error.transientCodes.contains(s3Code) { return true }
        return false
    }

    /// Maps an error response to a typed error: one line with S3's code, message and request id.
    static func error(for head: HTTPResponseHead, body: [UInt8], what: String, bucket: String) -> S3Error {
        let doc = S3ErrorDocument(body)
        let requestId = doc.requestId ?? head.header("x-amz-request-id")
        let s3Code = doc.code
        var detail = "HTTP \(head.status)"
        if let s3Code { detail += " \(s3Code)" }
        if let message = doc.message, !message.isEmpty { detail += ": \(message)" }
        if let requestId { detail += " (request id \(requestId))" }
        if let s3Code, S3Error.authenticationCodes.contains(s3Code) || head.status == 403 || head.status == 401 {
            let hint = s3Code == "RequestTimeTooSkewed" ? "check this host's clock" : "check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, and the bucket policy"
            return S3Error(.authentication, "S3 refused the credentials for bucket \(bucket) (\(detail)): \(hint)",
                           s3Code: s3Code, requestId: requestId, httpStatus: head.status)
        }
        if head.status == 403 || head.status == 401 {
            return S3Error(.authentication, "S3 refused the credentials for bucket \(bucket) (\(detail)): check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, and the bucket policy",
                           s3Code: s3Code, requestId: requestId, httpStatus: head.status)
        }
        if head.status == 404 || (s3Code.map(S3Error.notFoundCodes.contains) ?? false) {
            return S3Error(.notFound, "\(what): not found (\(detail))", s3Code: s3Code, requestId: requestId, httpStatus: head.status)
        }
        if head.status == 412 {
            return S3Error(.preconditionFailed, "\(what): the object changed while it was read (\(detail))", s3Code: s3Code, requestId: requestId, httpStatus: head.status)
        }
        let code: S3Error.Code = head.status >= 500 || head.status == 429 ? .unreachable : .failed
        return S3Error(code, "\(what) failed: \(detail)", s3Code: s3Code, requestId: requestId, httpStatus: head.status)
    }
}
