/// A failed S3 operation: one line a human can act on, with S3's own error code and request id.
///
/// Built from S3's error XML (`Code`, `Message`, `RequestId`) or the transport's error text; never
/// from a request header or a signature, so no credential can reach a log line through it.
package struct S3Error: Error, CustomStringConvertible, Sendable {
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case configuration, authentication, unreachable, notFound, preconditionFailed, integrity, tooLarge, failed
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Bad S3 settings or URL (exit 2).
        package static let configuration = Code(.configuration)
        /// Wrong or expired credentials, or no permission (InvalidAccessKeyId, SignatureDoesNotMatch,
        /// AccessDenied, 403) (exit 3).
        package static let authentication = Code(.authentication)
        /// The store could not be reached, or kept failing (5xx, SlowDown, timeouts) after retries (exit 3).
        package static let unreachable = Code(.unreachable)
        /// No such bucket, key or upload.
        package static let notFound = Code(.notFound)
        /// The object changed while it was read (If-Match failed).
        package static let preconditionFailed = Code(.preconditionFailed)
        /// The bytes received do not match what the store announced (length, part list).
        package static let integrity = Code(.integrity)
        /// The object would exceed the 10,000-part multipart limit.
        package static let tooLarge = Code(.tooLarge)
        /// Any other refusal by the store (exit 1).
        package static let failed = Code(.failed)

        package var description: String { base.rawValue }
    }

    package var code: Code
    /// The one-line message, free of secrets.
    package var message: String
    /// S3's error code (`NoSuchKey`, `SignatureDoesNotMatch`, ...), when the store sent one.
    package var s3Code: String?
    package var requestId: String?
    package var httpStatus: Int?

    package init(_ code: Code, _ message: String, s3Code: String? = nil, requestId: String? = nil, httpStatus: Int? = nil) {
        self.code = code
        self.message = message
        self.s3Code = s3Code
        self.requestId = requestId
        self.httpStatus = httpStatus
    }

    package var description: String { message }

    /// S3 error codes that mean "these credentials are not accepted".
    static let authenticationCodes: Set<String> = [
        "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "ExpiredToken", "InvalidToken",
        "TokenRefreshRequired", "InvalidSecurity", "AuthorizationHeaderMalformed", "AccountProblem",
        "AllAccessDisabled", "InvalidClientTokenId", "RequestTimeTooSkewed",
    ]
    static let notFoundCodes: Set<String> = ["NoSuchKey", "NoSuchBucket", "NoSuchUpload", "NotFound"]
    /// Codes worth another attempt even though their status is 4xx.
    static let transientCodes: Set<String> = ["RequestTimeout", "SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "InternalError", "ServiceUnavailable"]
}
