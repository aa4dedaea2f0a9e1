import Foundation
import ObjectStore
import TestSupport
import Testing

@Suite("ObjectStore configuration")
struct ObjectStoreConfigurationTests {
    let base = ["AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "very-secret-key", "HOME": "/nonexistent"]

    @Test func readsTheEnvironmentLikeTheAWSCLI() throws {
        var env = base
        env["AWS_SESSION_TOKEN"] = "session-token-value"
        env["AWS_DEFAULT_REGION"] = "eu-west-1"
        env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9000"
        env["AWS_ENDPOINT_URL_S3"] = "https://s3.example.test:8443"
        let config = try S3Configuration(environment: env)
        #expect(config.region == "eu-west-1")
        #expect(config.endpointDescription == "https://s3.example.test:8443")
        #expect(config.credentials.sessionToken == "session-token-value")
        env["AWS_REGION"] = "ap-south-1"
        #expect(try S3Configuration(environment: env).region == "ap-south-1")
        #expect(try S3Configuration(environment: base).region == "us-east-1")
        #expect(try S3Configuration(environment: base).endpointDescription == "https://s3.us-east-1.amazonaws.com")
    }

    @Test func checksumCalculationIsReadLikeTheAWSSDKs() throws {
        #expect(try S3Configuration(environment: base).checksumCalculation == .whenSupported)
        for (value, expected) in [("when_supported", S3Configuration.ChecksumCalculation.whenSupported), ("WHEN_REQUIRED", .whenRequired),
                                  (" when_required ", .whenRequired), ("", .whenSupported)] {
            let env = base.merging(["AWS_REQUEST_CHECKSUM_CALCULATION": value]) { $1 }
            #expect(try S3Configuration(environment: env).checksumCalculation == expected, "\(value)")
        }
    }

    @Test func descriptionsNeverShowTheSecretOrToken() throws {
        var env = base
        env["AWS_SESSION_TOKEN"] = "session-token-value"
        let config = try S3Configuration(environment: env)
        var dumped = ""
        dump(config, to: &dumped)
        for text in ["\(config)", String(reflecting: config), dumped] {
            #expect(!text.contains("very-secret-key"))
            #expect(!text.contains("session-token-value"))
        }
    }

    @Test func sharedCredentialsFileIsReadWhenTheEnvironmentHasNoKeys() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("s3cfg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("credentials")
        try "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s1\n\n[ops]\naws_access_key_id=AKIDOPS\naws_secret_access_key=s2\n".write(to: file, atomically: true, encoding: .utf8)
        let env = ["AWS_SHARED_CREDENTIALS_FILE": file.path]
        #expect(try S3Configuration(environment: env).credentials.accessKeyId == "AKIDDEFAULT")
        #expect(try S3Configuration(environment: env.merging(["AWS_PROFILE": "ops"]) { $1 }).credentials.accessKeyId == "AKIDOPS")
    }

    @Test(arguments: [
        (["HOME": "/nonexistent"], "no S3 credentials"),
        (["AWS_ACCESS_KEY_ID": "x", "HOME": "/nonexistent"], "set both"),
        (["AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y", "AWS_ENDPOINT_URL": "ftp://host"], "invalid AWS_ENDPOINT_URL"),
        (["AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y", "AWS_ENDPOINT_URL_S3": "http://h:99999"], "AWS_ENDPOINT_URL_S3"),
        (["AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y", "AWS_ENDPOINT_URL": "http://u:p@h"], "must not hold credentials"),
        (["AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y", "AWS_S3_ADDRESSING_STYLE": "sideways"], "AWS_S3_ADDRESSING_STYLE"),
        (["AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y", "AWS_REGION": "Bad Region"], "invalid AWS region"),
        (["AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y", "AWS_CA_BUNDLE": "/nonexistent/ca.pem"], "AWS_CA_BUNDLE"),
        (["AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y", "AWS_REQUEST_CHECKSUM_CALCULATION": "always"], "AWS_REQUEST_CHECKSUM_CALCULATION"),
    ])
    func badSettingsAreOneClearLine(env: [String: String], expected: String) {
        do {
            _ = try S3Configuration(environment: env)
            Issue.record("accepted \(env)")
        } catch let error as S3Error {
            #expect(error.code == .configuration)
            #expect(error.description.contains(expected), "\(error.description)")
            #expect(!error.description.contains("\n"))
            #expect(!error.description.contains(":p@"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}

@Suite("ObjectStore S3 URLs")
struct ObjectStoreLocationTests {
    @Test(arguments: [
        ("s3://my-bucket", "my-bucket", ""),
        ("s3://my-bucket/", "my-bucket", ""),
        ("s3://my.bucket-1/backups/prod/", "my.bucket-1", "backups/prod"),
        ("S3://abc/x y/ü", "abc", "x y/ü"),
    ])
    func parsesBucketAndPrefix(url: String, bucket: String, prefix: String) throws {
        let location = try S3Location(parsing: url)
        #expect(location.bucket == bucket)
        #expect(location.prefix == prefix)
        #expect(location.key("a.tar") == (prefix.isEmpty ? "a.tar" : prefix + "/a.tar"))
        #expect(try S3Location(parsing: location.description) == location)
    }

    @Test(arguments: [
        "", "s3:/bucket", "http://bucket/x", "s3://", "s3:///prefix", "s3://ab", "s3://Upper", "s3://-bucket", "s3://bucket-",
        "s3://bu_cket", "s3://b..b", "s3://bucket//x", "s3://bucket/a?b", "s3://bucket/a#b", "s3://bucket/../x",
        "s3://bucket/a\u{1}b", "s3://" + String(repeating: "a", count: 64), "s3://bucket/" + String(repeating: "k", count: 600),
    ])
    func rejectsMalformedURLs(url: String) {
        #expect(throws: S3Error.self) { try S3Location(parsing: url) }
        do { _ = try S3Location(parsing: url) } catch let error as S3Error {
            #expect(error.code == .configuration)
            #expect(error.description.hasPrefix("invalid S3 URL"))
            #expect(!error.description.contains("\n"))
        } catch { Issue.record("unexpected \(error)") }
    }

    /// Random strings (seeded, reproducible): parsing never crashes, either fails with a
    /// configuration error or yields a location whose description parses back to itself.
    @Test func fuzzedURLsNeverCrashAndRoundTrip() {
        var rng = SplitMix64(seed: 0x5EED_0F_53)
        let alphabet = Array("s3:/abcz09.-_ /?#%..\u{0}\u{7F}éü\\AZ")
        var accepted = 0
        for _ in 0..<20_000 {
            let length = Int(rng.next() % 40)
            var text = rng.next() % 2 == 0 ? "s3://" : ""
            for _ in 0..<length { text.append(alphabet[Int(rng.next() % UInt64(alphabet.count))]) }
            do {
                let location = try S3Location(parsing: text)
                accepted += 1
                #expect((3...63).contains(location.bucket.count))
                #expect(!location.prefix.hasPrefix("/") && !location.prefix.hasSuffix("/"))
                #expect(try S3Location(parsing: location.description) == location)
            } catch let error as S3Error {
                #expect(error.code == .configuration)
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
        #expect(accepted > 0)
    }
}


@Suite("ObjectStore rate limits and part sizes")
struct ObjectStoreRateLimitTests {
    @Test(arguments: [
        ("50MB/s", Int64(50_000_000)), ("10MiB/s", 10_485_760), ("500KB/s", 500_000), ("1.5MB/s", 1_500_000),
        ("2GB/s", 2_000_000_000), ("64KiB", 65_536), ("1000000", 1_000_000), (" 8 mb/s ", 8_000_000), ("1GiB/s", 1_073_741_824),
    ])
    func parsesDecimalAndBinaryUnits(text: String, bytes: Int64) throws {
        #expect(try RateLimit(parsing: text).bytesPerSecond == bytes)
    }

    @Test(arguments: ["", "fast", "MB/s", "10XB/s", "1.2.3MB/s", "-5MB/s", "0", "999B/s", "101GB/s", "1e400MB/s", "nanMB/s"])
    func rejectsBadRatesWithOneLine(text: String) {
        do {
            _ = try RateLimit(parsing: text)
            Issue.record("accepted \(text)")
        } catch let error as S3Error {
            #expect(error.code == .configuration)
            #expect(error.description.contains("rate"))
            #expect(!error.description.contains("\n"))
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test func partSizesStayWithinBoundsAndTheLimit() {
        let options = S3UploadOptions()
        #expect(options.partSize(forPart: 1) == 8 << 20)
        #expect((1...10_000).allSatisfy { (8 << 20...64 << 20).contains(options.partSize(forPart: $0)) })
        let total = (1...10_000).reduce(Int64(0)) { $0 + Int64(options.partSize(forPart: $1)) }
        #expect(total == options.maximumObjectSize)
        #expect(total >= 490 << 30) // ~492 GiB fit in 10,000 parts
    }
}

@Suite("ObjectStore addressing")
struct ObjectStoreAddressingTests {
    let credentials = SigV4Credentials(accessKeyId: "AKID", secretAccessKey: "s")

    @Test func customEndpointsUsePathStyleAndAWSUsesVirtualHosts() throws {
        let custom = try S3Configuration(credentials: credentials, endpoint: "http://127.0.0.1:9000")
        #expect(custom.target(bucket: "b1x").authority == "127.0.0.1:9000")
        #expect(custom.target(bucket: "b1x").pathStyle)
        let aws = try S3Configuration(credentials: credentials, region: "eu-central-1")
        #expect(aws.target(bucket: "my-bucket") == ("https", "my-bucket.s3.eu-central-1.amazonaws.com", false))
        #expect(aws.target(bucket: "dotted.bucket").pathStyle) // a dot would break the TLS wildcard
        let forcedVirtual = try S3Configuration(credentials: credentials, endpoint: "https://minio.example:443", addressingStyle: .virtual)
        #expect(forcedVirtual.target(bucket: "b1x").authority == "b1x.minio.example")
        let forcedPath = try S3Configuration(credentials: credentials, addressingStyle: .path)
        #expect(forcedPath.target(bucket: "b1x").authority == "s3.us-east-1.amazonaws.com")
        #expect(try S3Configuration(environment: ["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b", "AWS_S3_ADDRESSING_STYLE": "Virtual"]).addressingStyle == .virtual)
    }
}
