import Crypto
import Foundation
import HTTPClient
import ObjectStore
import OpsSupport
import Testing

/// The S3 peer the test command starts (`Scripts/s3-stack`, via `Scripts/stack`): moto behind the
/// SigV4-checking proxy. A missing `OPS_TEST_S3_ENDPOINT` fails the test instead of skipping it.
enum S3TestPeer {
    static func environment() throws -> (endpoint: String, accessKeyId: String, secret: String, region: String) {
        let env = ProcessInfo.processInfo.environment
        let endpoint = try #require(env["OPS_TEST_S3_ENDPOINT"], "OPS_TEST_S3_ENDPOINT is not set: run the tests with Scripts/test, which starts moto and the SigV4 proxy")
        let id = try #require(env["OPS_TEST_S3_ACCESS_KEY_ID"], "OPS_TEST_S3_ACCESS_KEY_ID is not set")
        let secret = try #require(env["OPS_TEST_S3_SECRET_ACCESS_KEY"], "OPS_TEST_S3_SECRET_ACCESS_KEY is not set")
        return (endpoint, id, secret, env["OPS_TEST_S3_REGION"] ?? "us-east-1")
    }

    static let fastRetry = S3RetryPolicy(maxAttempts: 3, baseDelay: 0.05, maxDelay: 0.2, maxTotalTime: 20)

    static func client(secret: String? = nil, accessKeyId: String? = nil, endpoint: String? = nil, rateLimit: RateLimit? = nil,
                       retry: S3RetryPolicy = fastRetry, stallTimeout: Int = 20,
                       checksums: S3Configuration.ChecksumCalculation = .whenSupported) throws -> S3Client {
        let env = try environment()
        let configuration = try S3Configuration(
            credentials: SigV4Credentials(accessKeyId: accessKeyId ?? env.accessKeyId, secretAccessKey: secret ?? env.secret),
            region: env.region, endpoint: endpoint ?? env.endpoint, addressingStyle: .path, checksumCalculation: checksums)
        var settings = S3TransferSettings()
        settings.retry = retry
        settings.rateLimit = rateLimit
        settings.stallTimeout = stallTimeout
        return S3Client(configuration: configuration, settings: settings)
    }

    /// Runs synchronous S3 calls (libcurl, retries with backoff, deliberate stalls) on a thread of their
    /// own, so a test waiting seconds on a fault does not hold the cooperative pool other suites run on.
    /// Keep `#expect` outside `body`, in the test's task.
    static func off<T: Sendable>(_ body: @Sendable @escaping () throws -> T) async throws -> T {
        try await BlockingIO.run(name: "test-s3", body)
    }

    /// A fresh bucket (made with the AWS CLI, the independent client).
    static func makeBucket() async throws -> String {
        let name = "t-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
        let result = try await aws(["s3api", "create-bucket", "--bucket", String(name)])
        try #require(result.status == 0, "aws s3api create-bucket failed: \(result.stderr)")
        return String(name)
    }

    struct Run: Sendable { var status: Int32; var stdout: String; var stderr: String }

    /// Runs the AWS CLI against the proxy with the test credentials (or `secret`), on a thread of its
    /// own: the CLI takes a second or more to start, which must not hold the cooperative pool (see `CLI.run`).
    static func aws(_ arguments: [String], secret: String? = nil) async throws -> Run {
        let env = try environment()
        return try await BlockingIO.run(name: "test-aws") { try awsBlocking(arguments, secret: secret, env: env) }
    }

    private static func awsBlocking(_ arguments: [String], secret: String?,
                                    env: (endpoint: String, accessKeyId: String, secret: String, region: String)) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["aws", "--endpoint-url", env.endpoint] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["AWS_ACCESS_KEY_ID"] = env.accessKeyId
        environment["AWS_SECRET_ACCESS_KEY"] = secret ?? env.secret
        environment["AWS_DEFAULT_REGION"] = env.region
        environment["AWS_REGION"] = env.region
        environment.removeValue(forKey: "AWS_SESSION_TOKEN")
        environment.removeValue(forKey: "AWS_PROFILE")
        environment["AWS_CONFIG_FILE"] = "/dev/null"
        environment["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// Calls the proxy's admin API (`/__proxy/...`), returns the JSON body.
    @discardableResult
    static func admin(_ pathAndQuery: String, method: String = "POST") throws -> [String: Any] {
        let env = try environment()
        let connection = try HTTPConnection()
        var body: [UInt8] = []
        let head = try connection.perform(HTTPRequest(method: method, url: env.endpoint + "/__proxy/" + pathAndQuery, bodyLength: method == "POST" ? 0 : nil),
                                          options: HTTPTransferOptions(), body: { _ in 0 }) { _, chunk in body.append(contentsOf: chunk) }
        try #require(head.status == 200, "proxy admin \(pathAndQuery) answered \(head.status)")
        return (try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]) ?? [:]
    }

    /// The proxy's counters for `bucket`'s requests (requests, rejected, forwarded, faults_injected,
    /// and the requests that carried a verified x-amz-checksum-sha256 or Content-MD5)
    /// and its faults left: other tests, with their own buckets, run at the same time.
    static func stats(_ bucket: String) throws -> [String: Int] {
        (try admin("stats?bucket=\(bucket)", method: "GET")).compactMapValues { $0 as? Int }
    }

    /// Injects a fault (`kind=…&count=…[&match=…]`, see Scripts/sigv4-proxy.py) into `bucket`'s
    /// requests only.
    static func fault(_ bucket: String, _ query: String) throws {
        try admin("fault?bucket=\(bucket)&\(query)")
    }

    /// Clears `bucket`'s faults and counters.
    static func reset(_ bucket: String) throws {
        try admin("reset?bucket=\(bucket)")
    }

    /// Deterministic pseudo-random bytes.
    static func bytes(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        var out = [UInt8](repeating: 0, count: count)
        var i = 0
        while i < count {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            for shift in stride(from: 0, to: 64, by: 8) where i < count {
                out[i] = UInt8(truncatingIfNeeded: z >> UInt64(shift))
                i += 1
            }
        }
        return out
    }

    static func sha256(_ bytes: [UInt8]) -> String { SigV4Signer.sha256Hex(bytes) }

    static func sha256(file: URL) throws -> String { sha256(Array(try Data(contentsOf: file))) }

    static func temporaryFile() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("s3-it-\(UUID().uuidString)")
    }

    /// Reads a source to its end.
    static func readAll(_ source: S3ObjectSource) throws -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 100_000)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { break }
            out += buffer[0..<n]
        }
        source.close()
        return out
    }
}
