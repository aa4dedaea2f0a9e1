import Foundation
import ObjectStore
import Testing

/// The signer against AWS's published SigV4 test suite and the S3 API Reference's worked examples.
@Suite("ObjectStore SigV4 signer")
struct ObjectStoreSigV4SignerTests {
    struct Vector: Decodable, CustomTestStringConvertible {
        var name: String
        var normalize: Bool
        var req: String
        var creq: String
        var sts: String
        var authz: String
        var testDescription: String { name }
    }
    struct Suite: Decodable { var vectors: [Vector] }

    struct S3Example: Decodable, CustomTestStringConvertible {
        var name: String
        var method: String
        var path: String
        var query: [[String]]
        var headers: [[String]]
        var body: String
        var signature: String
        var signedHeaders: String
        var testDescription: String { name }
    }
    struct S3Examples: Decodable { var examples: [S3Example] }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func suiteVectors() throws -> [Vector] {
        try JSONDecoder().decode(Suite.self, from: Data(contentsOf: fixtures.appendingPathComponent("aws-sig-v4-test-suite.json"))).vectors
    }

    static func s3Examples() throws -> [S3Example] {
        try JSONDecoder().decode(S3Examples.self, from: Data(contentsOf: fixtures.appendingPathComponent("s3-documentation-examples.json"))).examples
    }

    static let suiteDate = Date(timeIntervalSince1970: 1_440_938_160) // 2015-08-30T12:36:00Z
    static let sessionToken = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="

    /// Parses a `.req` text: request line, headers, blank line, body.
    static func parse(_ vector: Vector) -> (request: SigV4Signer.Request, token: String?) {
        let (head, body) = { () -> (String, String) in
            if let r = vector.req.range(of: "\n\n") { return (String(vector.req[..<r.lowerBound]), String(vector.req[r.upperBound...])) }
            return (vector.req, "")
        }()
        var lines = head.components(separatedBy: "\n")
        let requestLine = lines.removeFirst()
        let method = String(requestLine.prefix { $0 != " " })
        let target = String(requestLine.dropFirst(method.count + 1).dropLast(" HTTP/1.1".count))
        let rawPath = String(target.prefix { $0 != "?" })
        let rawQuery = target.count > rawPath.count ? String(target.dropFirst(rawPath.count + 1)) : ""
        // The suite's request targets are raw text: encode once. Non-S3 services also normalise.
        let path = SigV4Signer.uriEncode(vector.normalize ? SigV4Signer.normalizedPath(rawPath) : rawPath, encodeSlash: false)
        let query: [(name: String, value: String)] = rawQuery.isEmpty ? [] : rawQuery.components(separatedBy: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }
        var headers: [(name: String, value: String)] = []
        var token: String?
        for line in lines {
            let colon = line.firstIndex(of: ":")!
            let name = String(line[..<colon]), value = String(line[line.index(after: colon)...])
            if name.lowercased() == "x-amz-date" { continue } // the signer adds it
            if name.lowercased() == "x-amz-security-token" { token = value; continue } // and this
            headers.append((name, value))
        }
        return (SigV4Signer.Request(method: method, canonicalURI: path, query: query, headers: headers,
                                    payloadHash: SigV4Signer.sha256Hex(Data(body.utf8))), token)
    }

    @Test("AWS SigV4 test-suite vector", arguments: try suiteVectors())
    func awsTestSuiteVector(_ vector: Vector) throws {
        let (request, token) = Self.parse(vector)
        let signer = SigV4Signer(credentials: SigV4Credentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: token),
                                 region: "us-east-1", service: "service")
        let added = signer.sign(request, date: Self.suiteDate)
        var signed = request
        signed.headers += added.filter { $0.name != "Authorization" }
        #expect(signer.canonicalRequest(signed).text == vector.creq)
        #expect(signer.stringToSign(canonicalRequest: signer.canonicalRequest(signed).text, amzDate: "20150830T123600Z") == vector.sts)
        #expect(added.first { $0.name == "Authorization" }?.value == vector.authz)
        #expect(added.first { $0.name == "x-amz-date" }?.value == "20150830T123600Z")
        if token != nil { #expect(added.contains { $0.name == "x-amz-security-token" && $0.value == Self.sessionToken }) }
    }

    @Test("S3 API Reference worked example", arguments: try s3Examples())
    func s3DocumentationExample(_ example: S3Example) throws {
        let signer = SigV4Signer(credentials: SigV4Credentials(accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
                                 region: "us-east-1", service: "s3")
        let headers = example.headers.filter { $0[0].lowercased() != "x-amz-date" }.map { (name: $0[0], value: $0[1]) }
        let payload = example.headers.first { $0[0].lowercased() == "x-amz-content-sha256" }![1]
        #expect(payload == SigV4Signer.sha256Hex(Data(example.body.utf8)))
        // S3 paths are encoded once and never normalised ("$" becomes %24).
        let request = SigV4Signer.Request(method: example.method, canonicalURI: SigV4Signer.uriEncode(example.path, encodeSlash: false),
                                          query: example.query.map { (name: $0[0], value: $0[1]) }, headers: headers, payloadHash: payload)
        let date = Date(timeIntervalSince1970: 1_369_353_600) // 2013-05-24T00:00:00Z
        let authorization = signer.sign(request, date: date).first { $0.name == "Authorization" }!.value
        #expect(authorization == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=\(example.signedHeaders), Signature=\(example.signature)")
    }

    @Test func s3PathsAreNotNormalisedOrDoubleEncoded() {
        #expect(SigV4Signer.uriEncode("dir/./a b/ü+%.txt", encodeSlash: false) == "dir/./a%20b/%C3%BC%2B%25.txt")
        #expect(SigV4Signer.uriEncode("dir/", encodeSlash: true) == "dir%2F")
        #expect(SigV4Signer.normalizedPath("/a/./b/../c//") == "/a/c/")
    }

    @Test func credentialsNeverPrintTheirSecrets() {
        let credentials = SigV4Credentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "SECRET-KEY-123", sessionToken: "TOKEN-456")
        for text in ["\(credentials)", String(reflecting: credentials), { var s = ""; dump(credentials, to: &s); return s }()] {
            #expect(!text.contains("SECRET-KEY-123"))
            #expect(!text.contains("TOKEN-456"))
            #expect(text.contains("AKIDEXAMPLE"))
        }
    }
}
