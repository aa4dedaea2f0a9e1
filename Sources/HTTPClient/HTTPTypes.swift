/// One HTTP request as `HTTPConnection.perform` sends it.
///
/// The URL must already be percent-encoded the way it is signed: the connection sends it as is
/// (`CURLOPT_PATH_AS_IS`), so a signature computed over the path stays valid.
package struct HTTPRequest: Sendable {
    package var method: String
    package var url: String
    /// Sent in this order; a `Host` header here replaces curl's own.
    package var headers: [(name: String, value: String)]
    /// Length of the request body, or nil for no body. The body itself is pulled from the provider
    /// passed to `perform`.
    package var bodyLength: Int64?

    package init(method: String, url: String, headers: [(name: String, value: String)] = [], bodyLength: Int64? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.bodyLength = bodyLength
    }
}

/// Status line and headers of the final response (interim `100 Continue` blocks are dropped).
package struct HTTPResponseHead: Sendable {
    package var status: Int
    package var headers: [(name: String, value: String)]

    package init(status: Int, headers: [(name: String, value: String)]) {
        self.status = status
        self.headers = headers
    }

    /// The first header called `name` (case-insensitive).
    package func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }
}

/// Transport settings applied to every request of a connection.
package struct HTTPTransferOptions: Sendable, Equatable {
    /// Seconds to establish the TCP (and TLS) connection.
    package var connectTimeout: Double = 15
    /// A transfer slower than `lowSpeedLimit` bytes/s for `lowSpeedTime` seconds is aborted as a
    /// timeout (a stalled peer), instead of hanging forever.
    package var lowSpeedLimit: Int = 1
    package var lowSpeedTime: Int = 60
    /// Upper bound for the whole request, or nil (large objects may take long on a slow link).
    package var totalTimeout: Double?
    /// Bandwidth caps in bytes per second for this connection (curl's MAX_SEND/RECV_SPEED_LARGE).
    package var maxSendBytesPerSecond: Int64?
    package var maxReceiveBytesPerSecond: Int64?
    /// PEM file of trusted CA certificates (`AWS_CA_BUNDLE`); nil uses the system store.
    package var caBundlePath: String?
    /// TLS peer and host name verification; on unless explicitly turned off.
    package var verifyTLS: Bool = true

    package init() {}
}

/// A transport failure (no HTTP response, or the transfer broke off), with curl's own error text.
///
/// The description names the method, host and path, never the query string or any header, so no
/// credential or signature can reach a log line through it.
package struct HTTPError: Error, CustomStringConvertible, Sendable {
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case connect, timeout, tls, connectionLost, aborted, invalidRequest, other
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The peer could not be reached (refused, unresolvable host).
        package static let connect = Code(.connect)
        /// Connect timeout, low-speed abort or total timeout.
        package static let timeout = Code(.timeout)
        /// TLS handshake or certificate verification failed (never retried).
        package static let tls = Code(.tls)
        /// The connection dropped while sending or receiving (reset, empty reply, short body).
        package static let connectionLost = Code(.connectionLost)
        /// A body callback threw; `underlying` holds its error.
        package static let aborted = Code(.aborted)
        /// The request itself is malformed (bad URL, unsupported protocol).
        package static let invalidRequest = Code(.invalidRequest)
        package static let other = Code(.other)

        package var description: String { base.rawValue }
    }

    package var code: Code
    /// curl's CURLcode, for diagnostics.
    package var curlCode: Int
    /// Human text: what failed, where, and curl's explanation.
    package var message: String
    /// The error a body callback threw (code `.aborted`).
    package var underlying: (any Error)?

    package init(code: Code, curlCode: Int, message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.curlCode = curlCode
        self.message = message
        self.underlying = underlying
    }

    /// Connection-level failures a retry may cure.
    package var isTransient: Bool { code == .connect || code == .timeout || code == .connectionLost }

    package var description: String { message }
}
