import CCurl

/// curl_global_init must run once, before any handle exists, and is not thread-safe itself: a Swift
/// global is initialised exactly once, lazily, under a lock.
private let curlGlobalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_ALL))

/// One libcurl easy handle: a blocking HTTP/1.1 client that keeps its connection alive between
/// requests.
///
/// Calls block the calling thread (network, rate limiting), so use it from a dedicated thread or
/// `BlockingIO.run`, never from Swift's cooperative pool. One request at a time per connection; the
/// class is deliberately not `Sendable` (it owns a curl handle, which libcurl forbids sharing between
/// threads at the same time). A pool of connections gives concurrency.
package final class HTTPConnection {
    private let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>

    package init() throws {
        guard curlGlobalInit == CURLE_OK else {
            throw HTTPError(code: .other, curlCode: Int(curlGlobalInit.rawValue), message: "cannot initialise libcurl: \(Self.text(curlGlobalInit))")
        }
        guard let h = curl_easy_init() else {
            throw HTTPError(code: .other, curlCode: 0, message: "cannot create a libcurl handle (out of memory?)")
        }
        handle = h
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Sends `request` and streams the response body to `onBody`.
    ///
    /// - Parameters:
    ///   - request: method, URL (already encoded), headers and body length.
    ///   - options: timeouts, rate limits, TLS settings.
    ///   - body: fills the buffer with the next request-body bytes and returns how many it wrote (0 at
    ///     the end); called only when `request.bodyLength` is set. It must deliver exactly
    ///     `bodyLength` bytes.
    ///   - onBody: receives the response head and each chunk of the response body as it arrives.
    ///     Throwing aborts the transfer; `perform` then throws `HTTPError` with code `.aborted`.
    /// - Returns: the final response head (also for 4xx/5xx: HTTP errors are the caller's business).
    @discardableResult
    package func perform(
        _ request: HTTPRequest,
        options: HTTPTransferOptions,
        body: ((UnsafeMutableRawBufferPointer) throws -> Int)? = nil,
        onBody: (HTTPResponseHead, UnsafeRawBufferPointer) throws -> Void
    ) throws -> HTTPResponseHead {
        try withoutActuallyEscaping(onBody) { onBody in
            try withoutActuallyEscaping(body ?? { _ in 0 }) { body in
                let context = TransferContext(body: body, onBody: onBody)
                // The callbacks get an unretained pointer to `context`: keep it alive for the transfer.
                return try withExtendedLifetime(context) { try run(request, options: options, context: context) }
            }
        }
    }

    private func run(_ request: HTTPRequest, options: HTTPTransferOptions, context: TransferContext) throws -> HTTPResponseHead {
        curl_easy_reset(handle) // keeps the live connection and DNS cache
        errorBuffer[0] = 0
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for (name, value) in request.headers {
            headerList = curl_slist_append(headerList, "\(name): \(value)")
        }
        // No `Expect: 100-continue` round trip; no Accept header of curl's own invention.
        headerList = curl_slist_append(headerList, "Expect:")
        headerList = curl_slist_append(headerList, "Accept:")

        let opaque = Unmanaged.passUnretained(context).toOpaque()

        try set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(errorBuffer))
        try set(CURLOPT_URL, string: request.url)
        try set(CURLOPT_NOSIGNAL, 1)
        try set(CURLOPT_PATH_AS_IS, 1)
        try set(CURLOPT_FOLLOWLOCATION, 0)
        try set(CURLOPT_TCP_KEEPALIVE, 1)
        try set(CURLOPT_PROTOCOLS_STR, string: "http,https")
        try set(CURLOPT_CONNECTTIMEOUT_MS, Int(options.connectTimeout * 1000))
        try set(CURLOPT_LOW_SPEED_LIMIT, options.lowSpeedLimit)
        try set(CURLOPT_LOW_SPEED_TIME, options.lowSpeedTime)
        if let total = options.totalTimeout { try set(CURLOPT_TIMEOUT_MS, Int(total * 1000)) }
        if let rate = options.maxSendBytesPerSecond { try setOff(CURLOPT_MAX_SEND_SPEED_LARGE, rate) }
        if let rate = options.maxReceiveBytesPerSecond { try setOff(CURLOPT_MAX_RECV_SPEED_LARGE, rate) }
        if let ca = options.caBundlePath { try set(CURLOPT_CAINFO, string: ca) }
        try set(CURLOPT_SSL_VERIFYPEER, options.verifyTLS ? 1 : 0)
        try set(CURLOPT_SSL_VERIFYHOST, options.verifyTLS ? 2 : 0)
        try check(ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList), "CURLOPT_HTTPHEADER")

        let method = request.method.uppercased()
        if let length = request.bodyLength {
            try set(CURLOPT_UPLOAD, 1)
            try setOff(CURLOPT_INFILESIZE_LARGE, length)
            try check(ccurl_setopt_read(handle, readCallback), "CURLOPT_READFUNCTION")
            try set(CURLOPT_READDATA, pointer: opaque)
            if method != "PUT" { try set(CURLOPT_CUSTOMREQUEST, string: method) }
        } else if method == "HEAD" {
            try set(CURLOPT_NOBODY, 1)
        } else if method == "GET" {
            try set(CURLOPT_HTTPGET, 1)
        } else {
            try set(CURLOPT_CUSTOMREQUEST, string: method)
        }
        try check(ccurl_setopt_header(handle, headerCallback), "CURLOPT_HEADERFUNCTION")
        try set(CURLOPT_HEADERDATA, pointer: opaque)
        try check(ccurl_setopt_write(handle, writeCallback), "CURLOPT_WRITEFUNCTION")
        try set(CURLOPT_WRITEDATA, pointer: opaque)

        let code = curl_easy_perform(handle)
        if let thrown = context.thrown {
            throw HTTPError(code: .aborted, curlCode: Int(code.rawValue),
                            message: "\(method) \(Self.redacted(request.url)) aborted: \(thrown)", underlying: thrown)
        }
        guard code == CURLE_OK else {
            throw HTTPError(code: Self.classify(code), curlCode: Int(code.rawValue),
                            message: "\(method) \(Self.redacted(request.url)) failed: \(detail(code))")
        }
        var status = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponseHead(status: status == 0 ? context.status : status, headers: context.headers)
    }

    // MARK: - option funnels

    private func set(_ option: CURLoption, _ value: Int) throws {
        try check(ccurl_setopt_long(handle, option, value), "option \(option.rawValue)")
    }

    private func setOff(_ option: CURLoption, _ value: Int64) throws {
        try check(ccurl_setopt_off(handle, option, curl_off_t(value)), "option \(option.rawValue)")
    }

    private func set(_ option: CURLoption, string: String) throws {
        // libcurl copies string options (since 7.17), so the temporary C string may go.
        try string.withCString { try check(ccurl_setopt_str(handle, option, $0), "option \(option.rawValue)") }
    }

    private func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer) throws {
        try check(ccurl_setopt_ptr(handle, option, pointer), "option \(option.rawValue)")
    }

    private func check(_ code: CURLcode, _ what: String) throws {
        guard code != CURLE_OK else { return }
        throw HTTPError(code: code == CURLE_UNSUPPORTED_PROTOCOL || code == CURLE_URL_MALFORMAT ? .invalidRequest : .other,
                        curlCode: Int(code.rawValue), message: "libcurl rejected \(what): \(Self.text(code))")
    }

    private func detail(_ code: CURLcode) -> String {
        let buffer = String(cString: errorBuffer)
        return buffer.isEmpty ? Self.text(code) : buffer.trimmingTrailingNewlines()
    }

    private static func text(_ code: CURLcode) -> String { String(cString: curl_easy_strerror(code)) }

    /// Scheme, host and path only: a query string could hold a presigned signature.
    static func redacted(_ url: String) -> String {
        if let q = url.firstIndex(of: "?") { return String(url[..<q]) + "?…" }
        return url
    }

    private static func classify(_ code: CURLcode) -> HTTPError.Code {
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: return .connect
        case CURLE_OPERATION_TIMEDOUT: return .timeout
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM:
            return .connectionLost
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM:
            return .tls
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL: return .invalidRequest
        case CURLE_WRITE_ERROR, CURLE_READ_ERROR, CURLE_ABORTED_BY_CALLBACK: return .aborted
        default: return .other
        }
    }
}

/// State shared with the C callbacks of one transfer (passed as their user-data pointer).
private final class TransferContext {
    let body: (UnsafeMutableRawBufferPointer) throws -> Int
    let onBody: (HTTPResponseHead, UnsafeRawBufferPointer) throws -> Void
    var status = 0
    var headers: [(name: String, value: String)] = []
    var thrown: (any Error)?

    init(body: @escaping (UnsafeMutableRawBufferPointer) throws -> Int,
         onBody: @escaping (HTTPResponseHead, UnsafeRawBufferPointer) throws -> Void) {
        self.body = body
        self.onBody = onBody
    }

    func record(_ error: any Error) {
        thrown = error
    }
}

private func context(_ pointer: UnsafeMutableRawPointer?) -> TransferContext {
    Unmanaged<TransferContext>.fromOpaque(pointer!).takeUnretainedValue()
}

private let headerCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = { data, size, count, user in
    let total = size * count
    guard let data else { return total }
    let ctx = context(user)
    let line = String(decoding: UnsafeRawBufferPointer(start: data, count: total), as: UTF8.self).trimmingTrailingNewlines()
    if line.hasPrefix("HTTP/") {
        // A new status line starts a new header block (after 100 Continue or a 1xx).
        let parts = line.split(separator: " ", maxSplits: 2)
        ctx.status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        ctx.headers = []
    } else if let colon = line.firstIndex(of: ":") {
        let name = String(line[..<colon]).trimmingSpaces()
        let value = String(line[line.index(after: colon)...]).trimmingSpaces()
        ctx.headers.append((name, value))
    }
    return total
}

private let writeCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = { data, size, count, user in
    let total = size * count
    let ctx = context(user)
    do {
        try ctx.onBody(HTTPResponseHead(status: ctx.status, headers: ctx.headers), UnsafeRawBufferPointer(start: data, count: total))
        return total
    } catch {
        ctx.record(error)
        return 0 // anything but `total` makes curl abort with CURLE_WRITE_ERROR
    }
}

private let readCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = { data, size, count, user in
    let ctx = context(user)
    do {
        return try ctx.body(UnsafeMutableRawBufferPointer(start: data, count: size * count))
    } catch {
        ctx.record(error)
        return ccurl_readfunc_abort()
    }
}

extension String {
    fileprivate func trimmingTrailingNewlines() -> String {
        var s = Substring(self)
        // "\r\n" is one Character in Swift: compare against all three.
        while let last = s.last, last == "\n" || last == "\r" || last == "\r\n" { s = s.dropLast() }
        return String(s)
    }

    fileprivate func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
