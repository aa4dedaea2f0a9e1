import Crypto
import Foundation
import OpsSupport

/// AWS credentials. Printing them (`description`, `dump`, string interpolation) shows the access key
/// id only; the secret key and the session token never appear.
package struct SigV4Credentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    package var accessKeyId: String
    package var secretAccessKey: String
    package var sessionToken: String?

    package init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    package var description: String {
        "SigV4Credentials(accessKeyId: \(accessKeyId), secretAccessKey: <redacted>, sessionToken: \(sessionToken == nil ? "not set" : "<redacted>"))"
    }
    package var debugDescription: String { description }
    package var customMirror: Mirror {
        Mirror(self, children: ["accessKeyId": accessKeyId, "secretAccessKey": "<redacted>",
                                "sessionToken": sessionToken == nil ? "not set" : "<redacted>"], displayStyle: .struct)
    }
}

/// AWS Signature Version 4 (header form, `AWS4-HMAC-SHA256`), written against the AWS General
/// Reference and held to AWS's published test-suite vectors and the S3 worked examples
/// (Tests/UnitTests/ObjectStore).
///
/// The caller supplies the canonical URI already encoded: for S3 that is the request path with each
/// key byte URI-encoded once and `/` kept (S3 neither normalises nor double-encodes paths); other
/// services sign a normalised path (`normalizedPath`). Query parameters are passed decoded and are
/// encoded here with `/` encoded too, as the rules require.
package struct SigV4Signer: Sendable {
    package struct Request: Sendable {
        package var method: String
        /// The encoded path exactly as sent on the request line.
        package var canonicalURI: String
        /// Decoded query parameters, in any order.
        package var query: [(name: String, value: String)]
        /// Headers to sign (all of them are signed), including `Host`.
        package var headers: [(name: String, value: String)]
        /// Lowercase hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`.
        package var payloadHash: String

        package init(method: String, canonicalURI: String, query: [(name: String, value: String)] = [],
                     headers: [(name: String, value: String)], payloadHash: String) {
            self.method = method
            self.canonicalURI = canonicalURI
            self.query = query
            self.headers = headers
            self.payloadHash = payloadHash
        }
    }

    package static let unsignedPayload = "UNSIGNED-PAYLOAD"
    package static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    package var credentials: SigV4Credentials
    package var region: String
    package var service: String

    package init(credentials: SigV4Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The headers a request must carry: `x-amz-date`, `x-amz-security-token` (with a session token)
    /// and `Authorization`. The date and token headers are part of what is signed.
    package func sign(_ request: Request, date: Date) -> [(name: String, value: String)] {
        let stamp = Self.amzDate(date)
        var added: [(name: String, value: String)] = [("x-amz-date", stamp)]
        if let token = credentials.sessionToken { added.append(("x-amz-security-token", token)) }
        var signed = request
        signed.headers += added
        return added + [("Authorization", authorization(for: signed, amzDate: stamp))]
    }

    /// The `Authorization` header value for a request whose headers already hold `x-amz-date`
    /// (and the session token, if any).
    package func authorization(for request: Request, amzDate: String) -> String {
        let (canonical, signedHeaders) = canonicalRequest(request)
        let toSign = stringToSign(canonicalRequest: canonical, amzDate: amzDate)
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Data(toSign.utf8), using: signingKey(day: String(amzDate.prefix(8)))))
        return "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope(amzDate: amzDate)), SignedHeaders=\(signedHeaders), Signature=\(signature)"
    }

    package func canonicalRequest(_ request: Request) -> (text: String, signedHeaders: String) {
        let encoded: [(String, String)] = request.query.map { item in
            (Self.uriEncode(item.name, encodeSlash: true), Self.uriEncode(item.value, encodeSlash: true))
        }
        let sorted = encoded.sorted { (a: (String, String), b: (String, String)) -> Bool in
            a.0 == b.0 ? a.1 < b.1 : a.0 < b.0
        }
        let query = sorted.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        // Duplicate header names are combined in order, comma-separated; values trimmed, runs of
        // spaces collapsed.
        var combined: [String: [String]] = [:]
        for header in request.headers {
            combined[header.name.lowercased(), default: []].append(Self.canonicalHeaderValue(header.value))
        }
        let names = combined.keys.sorted()
        let headerLines = names.map { "\($0):\(combined[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let text = [request.method.uppercased(), request.canonicalURI, query, headerLines, signedHeaders, request.payloadHash]
            .joined(separator: "\n")
        return (text, signedHeaders)
    }

    package func stringToSign(canonicalRequest: String, amzDate: String) -> String {
        ["AWS4-HMAC-SHA256", amzDate, scope(amzDate: amzDate), Self.sha256Hex(Data(canonicalRequest.utf8))].joined(separator: "\n")
    }

    private func scope(amzDate: String) -> String { "\(amzDate.prefix(8))/\(region)/\(service)/aws4_request" }

    private func signingKey(day: String) -> SymmetricKey {
        func hmac(_ key: SymmetricKey, _ text: String) -> SymmetricKey {
            SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key)))
        }
        let secret = SymmetricKey(data: Data(("AWS4" + credentials.secretAccessKey).utf8))
        return hmac(hmac(hmac(hmac(secret, day), region), service), "aws4_request")
    }

    // MARK: - encoding helpers

    /// URI-encodes per SigV4: every byte except `A-Z a-z 0-9 - . _ ~` becomes `%XX` (uppercase hex);
    /// `/` is kept when `encodeSlash` is false (object key paths).
    package static func uriEncode(_ text: String, encodeSlash: Bool) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where !encodeSlash:
                out.append("/")
            default:
                out += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0xF, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// RFC 3986 dot-segment removal plus collapsing of empty segments, as non-S3 services sign paths
    /// (the test suite's normalize-path vectors). S3 signs the path as sent and never calls this.
    package static func normalizedPath(_ path: String) -> String {
        var output: [Substring] = []
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        for segment in segments {
            if segment == "." { continue }
            if segment == ".." { if !output.isEmpty { output.removeLast() }; continue }
            output.append(segment)
        }
        var result = "/" + output.joined(separator: "/")
        let endsWithDirectory = path.hasSuffix("/") || segments.last == "." || segments.last == ".."
        if endsWithDirectory && !output.isEmpty { result += "/" }
        return result
    }

    static func canonicalHeaderValue(_ value: String) -> String {
        var out = ""
        var lastWasSpace = false
        for ch in value.trimmingCharacters(in: .whitespaces) {
            if ch == " " || ch == "\t" {
                if !lastWasSpace { out.append(" ") }
                lastWasSpace = true
            } else {
                out.append(ch)
                lastWasSpace = false
            }
        }
        return out
    }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC.
    package static func amzDate(_ date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }

    package static func sha256Hex<D: DataProtocol>(_ data: D) -> String { SHA256Hex.of(data) }

    static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0xF)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
