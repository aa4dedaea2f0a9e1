import Crypto
import Foundation
import HTTPClient
import ObjectStore
import OpsSupport
import Testing

/// S3 client, upload sink and GET source against moto behind the SigV4-checking proxy, with the AWS
/// CLI as the independent client. Serialized: the proxy's fault injection is global.
@Suite("ObjectStore against moto", .serialized)
struct ObjectStoreIntegrationTests {
    @Test func awsCliRequestsPassTheProxyAndAWrongSecretIsRejected() async throws {
        let bucket = try await S3TestPeer.makeBucket()
        let file = S3TestPeer.temporaryFile()
        try Data("proof\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let cp = try await S3TestPeer.aws(["s3", "cp", file.path, "s3://\(bucket)/dir one/ü b+c.txt"])
        #expect(cp.status == 0, "\(cp.stderr)")
        let ls = try await S3TestPeer.aws(["s3api", "list-objects-v2", "--bucket", bucket, "--prefix", "dir one/", "--query", "Contents[].Key", "--output", "text"])
        #expect(ls.status == 0, "\(ls.stderr)")
        #expect(ls.stdout.contains("dir one/ü b+c.txt"))
        let before = try S3TestPeer.stats(bucket)["rejected"] ?? 0
        let wrong = try await S3TestPeer.aws(["s3", "ls", "s3://\(bucket)/"], secret: "not-the-secret")
        #expect(wrong.status != 0)
        #expect(wrong.stderr.contains("SignatureDoesNotMatch"))
        #expect((try S3TestPeer.stats(bucket)["rejected"] ?? 0) > before)
    }

    /// The proxy canonicalises what it received as S3 does, so a request signed over a path encoded
    /// differently from the one S3 would derive (`%2F` for `/`) is refused, while the same request
    /// signed over the canonical path passes.
    @Test func theProxyRefusesASignatureOverADifferentlyEncodedPath() async throws {
        let bucket = try await S3TestPeer.makeBucket()
        let env = try S3TestPeer.environment()
        let host = String(env.endpoint.dropFirst("http://".count))
        let signer = SigV4Signer(credentials: SigV4Credentials(accessKeyId: env.accessKeyId, secretAccessKey: env.secret), region: env.region)
        func status(signedPath: String) throws -> Int {
            let headers: [(name: String, value: String)] = [("Host", host), ("x-amz-content-sha256", SigV4Signer.emptyPayloadHash)]
            let request = SigV4Signer.Request(method: "GET", canonicalURI: signedPath, headers: headers, payloadHash: SigV4Signer.emptyPayloadHash)
            let all = headers + signer.sign(request, date: Date())
            return try HTTPConnection().perform(HTTPRequest(method: "GET", url: "\(env.endpoint)/\(bucket)/a%2Fb", headers: all),
                                                options: HTTPTransferOptions()) { _, _ in }.status
        }
        #expect(try status(signedPath: "/\(bucket)/a%2Fb") == 403)
        #expect(try status(signedPath: "/\(bucket)/a/b") == 404) // signature accepted; no such key
    }

    @Test func putGetRangeHeadListAndDeleteWithAwkwardKeys() async throws {
        let client = try S3TestPeer.client()
        let bucket = try await S3TestPeer.makeBucket()
        let keys = ["dir one/sub/a b ü.txt", "dir one/x+y=z&%.bin", "dir one/ñ/日本.txt", "dir one/~tilde(1)*", "other/not listed"]
        for (i, key) in keys.enumerated() {
            try client.putObject(bucket: bucket, key: key, bytes: Array("object \(i) \(key)".utf8))
        }
        for (i, key) in keys.enumerated() {
            #expect(try client.getObjectBytes(bucket: bucket, key: key) == Array("object \(i) \(key)".utf8))
        }
        #expect(try client.getObjectBytes(bucket: bucket, key: keys[0], range: 2...7) == Array("ject 0".utf8))
        let info = try #require(try client.headObject(bucket: bucket, key: keys[2]))
        #expect(info.size == Int64("object 2 \(keys[2])".utf8.count))
        #expect(try client.headObject(bucket: bucket, key: "dir one/missing") == nil)

        let listed = try client.listObjects(bucket: bucket, prefix: "dir one/", pageSize: 2) // paginated
        #expect(listed.map(\.key) == keys.prefix(4).sorted())
        let page = try client.listObjectsPage(bucket: bucket, prefix: "dir one/", delimiter: "/")
        #expect(Set(page.commonPrefixes) == ["dir one/sub/", "dir one/ñ/"])
        let cli = try await S3TestPeer.aws(["s3api", "list-objects-v2", "--bucket", bucket, "--prefix", "dir one/", "--query", "Contents[].Key", "--output", "json"])
        let cliKeys = try JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as? [String]
        #expect(cliKeys.map(Set.init) == Set(keys.prefix(4)))

        try client.deleteObject(bucket: bucket, key: keys[0])
        try client.deleteObject(bucket: bucket, key: keys[0]) // deleting a missing key succeeds, as on S3
        try client.deleteObjects(bucket: bucket, keys: Array(keys[1...]))
        #expect(try client.listObjects(bucket: bucket, prefix: "").isEmpty)
        do {
            _ = try client.getObjectBytes(bucket: bucket, key: keys[0])
            Issue.record("GET of a deleted key succeeded")
        } catch let error as S3Error {
            #expect(error.code == .notFound)
            #expect(error.s3Code == "NoSuchKey")
        }
    }

    @Test func multipartUploadThroughTheSinkIsListedOnlyWhenPublishedAndDownloadsIntact() async throws {
        let client = try S3TestPeer.client()
        let bucket = try await S3TestPeer.makeBucket()
        let data = S3TestPeer.bytes(count: 20 * 1024 * 1024 + 12345, seed: 1)
        let key = "backups/2026 run/ü.tar.zst"
        let sink = S3UploadSink(client: client, bucket: bucket, key: key)
        var offset = 0
        while offset < data.count {
            let n = min(1_000_003, data.count - offset)
            try data[offset..<offset + n].withUnsafeBytes { try sink.write($0) }
            offset += n
        }
        let beforePublish = try await S3TestPeer.aws(["s3", "ls", "s3://\(bucket)/backups/", "--recursive"])
        #expect(!beforePublish.stdout.contains("ü.tar.zst"), "visible before publish: \(beforePublish.stdout)")
        try sink.publish()

        let ls = try await S3TestPeer.aws(["s3", "ls", "s3://\(bucket)/backups/", "--recursive"])
        #expect(ls.status == 0, "\(ls.stderr)")
        #expect(ls.stdout.contains("\(data.count) backups/2026 run/ü.tar.zst"), "\(ls.stdout)")
        let uploads = try await S3TestPeer.aws(["s3api", "list-multipart-uploads", "--bucket", bucket, "--output", "json"])
        #expect(!uploads.stdout.contains("UploadId"), "an upload is left: \(uploads.stdout)")
        let head = try #require(try client.headObject(bucket: bucket, key: key))
        #expect(head.etag?.hasSuffix("-3\"") == true, "expected a 3-part multipart ETag, got \(head.etag ?? "none")")

        let file = S3TestPeer.temporaryFile()
        defer { try? FileManager.default.removeItem(at: file) }
        let cp = try await S3TestPeer.aws(["s3", "cp", "s3://\(bucket)/\(key)", file.path])
        #expect(cp.status == 0, "\(cp.stderr)")
        #expect(try S3TestPeer.sha256(file: file) == S3TestPeer.sha256(data))

        let source = S3ObjectSource(client: client, bucket: bucket, key: key)
        #expect(S3TestPeer.sha256(try S3TestPeer.readAll(source)) == S3TestPeer.sha256(data))
        #expect(source.length == Int64(data.count))
    }

    @Test func smallObjectsThroughTheSinkUseOnePut() async throws {
        let client = try S3TestPeer.client()
        let bucket = try await S3TestPeer.makeBucket()
        for size in [0, 1, 5000] {
            let data = S3TestPeer.bytes(count: size, seed: UInt64(size))
            let sink = S3UploadSink(client: client, bucket: bucket, key: "small/\(size)")
            try sink.write(data)
            try sink.publish()
            #expect(try client.getObjectBytes(bucket: bucket, key: "small/\(size)") == data)
            #expect(try S3TestPeer.readAll(S3ObjectSource(client: client, bucket: bucket, key: "small/\(size)")) == data)
        }
    }

    /// S3's additional checksum: every part and every small object carries its SHA-256, which the
    /// proxy verifies as S3 does (it answers BadDigest to a wrong one, shown with the AWS CLI), and the
    /// store keeps the composite the S3 documentation defines (SHA-256 of the parts' digests), read
    /// back with the AWS CLI's `head-object --checksum-mode ENABLED`.
    @Test func uploadsCarryTheSHA256ChecksumTheStoreVerifiesAndKeeps() async throws {
        let client = try S3TestPeer.client()
        let bucket = try await S3TestPeer.makeBucket()
        let data = S3TestPeer.bytes(count: 2 * S3UploadOptions().basePartSize + 4321, seed: 7)
        let sink = S3UploadSink(client: client, bucket: bucket, key: "sum/big.tar")
        try sink.write(data)
        try sink.publish()
        let small = S3TestPeer.bytes(count: 70_000, seed: 8)
        try client.putObject(bucket: bucket, key: "sum/small.json", bytes: small)

        let stats = try S3TestPeer.stats(bucket)
        #expect(stats["checksum_sha256"] == 4, "3 parts and 1 object should carry x-amz-checksum-sha256: \(stats)")
        #expect(stats["content_md5"] == 0, "\(stats)")
        #expect(stats["rejected"] == 0, "\(stats)")

        let partSize = S3UploadOptions().basePartSize
        let partDigests = stride(from: 0, to: data.count, by: partSize).flatMap { start in
            Array(SHA256.hash(data: data[start..<min(start + partSize, data.count)]))
        }
        let composite = Data(SHA256.hash(data: partDigests)).base64EncodedString()
        let big = try await S3TestPeer.aws(["s3api", "head-object", "--bucket", bucket, "--key", "sum/big.tar", "--checksum-mode", "ENABLED", "--output", "json"])
        #expect(big.status == 0, "\(big.stderr)")
        #expect(big.stdout.contains("\"ChecksumSHA256\": \"\(composite)"), "expected the composite \(composite): \(big.stdout)")

        // The proof that the proxy checks the header: a wrong checksum from the AWS CLI is refused.
        let file = S3TestPeer.temporaryFile()
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(small).write(to: file)
        let wrong = Data(SHA256.hash(data: [1, 2, 3])).base64EncodedString()
        let refused = try await S3TestPeer.aws(["s3api", "put-object", "--bucket", bucket, "--key", "sum/wrong", "--body", file.path, "--checksum-sha256", wrong])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("BadDigest"), "\(refused.stderr)")
        #expect(try client.headObject(bucket: bucket, key: "sum/wrong") == nil)
    }

    /// `AWS_REQUEST_CHECKSUM_CALCULATION=when_required`, for stores that refuse checksum headers:
    /// parts and objects carry the classic Content-MD5 instead (verified by the proxy), no checksum is
    /// kept, and the object reads back intact.
    @Test func withChecksumsWhenRequiredUploadsCarryContentMD5Instead() async throws {
        let client = try S3TestPeer.client(checksums: .whenRequired)
        let bucket = try await S3TestPeer.makeBucket()
        let data = S3TestPeer.bytes(count: S3UploadOptions().basePartSize + 99, seed: 9)
        let sink = S3UploadSink(client: client, bucket: bucket, key: "md5/big.tar")
        try sink.write(data)
        try sink.publish()
        try client.putObject(bucket: bucket, key: "md5/small", bytes: [1, 2, 3])
        let stats = try S3TestPeer.stats(bucket)
        #expect(stats["content_md5"] == 3, "\(stats)")
        #expect(stats["checksum_sha256"] == 0, "\(stats)")
        let head = try await S3TestPeer.aws(["s3api", "head-object", "--bucket", bucket, "--key", "md5/big.tar", "--checksum-mode", "ENABLED", "--output", "json"])
        #expect(head.status == 0 && !head.stdout.contains("ChecksumSHA256"), "\(head.stdout)")
        #expect(S3TestPeer.sha256(try client.getObjectBytes(bucket: bucket, key: "md5/big.tar")) == S3TestPeer.sha256(data))
    }

    @Test func objectUploadedByTheAwsCliReadsBackIntactWithRanges() async throws {
        let client = try S3TestPeer.client()
        let bucket = try await S3TestPeer.makeBucket()
        let data = S3TestPeer.bytes(count: 12 * 1024 * 1024 + 7, seed: 2)
        let file = S3TestPeer.temporaryFile()
        try Data(data).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let cp = try await S3TestPeer.aws(["s3", "cp", file.path, "s3://\(bucket)/from cli/dump.sql.zst"])
        #expect(cp.status == 0, "\(cp.stderr)")
        let source = S3ObjectSource(client: client, bucket: bucket, key: "from cli/dump.sql.zst")
        #expect(S3TestPeer.sha256(try S3TestPeer.readAll(source)) == S3TestPeer.sha256(data))
        let range: ClosedRange<Int64> = 5_000_000...9_000_000
        let partial = try S3TestPeer.readAll(S3ObjectSource(client: client, bucket: bucket, key: "from cli/dump.sql.zst", range: range))
        #expect(partial == Array(data[5_000_000...9_000_000]))
    }

    @Test func discardAbortsTheUploadAndLeavesNothingListed() async throws {
        let client = try S3TestPeer.client()
        let bucket = try await S3TestPeer.makeBucket()
        let sink = S3UploadSink(client: client, bucket: bucket, key: "gone/b.tar")
        try sink.write(S3TestPeer.bytes(count: 9 * 1024 * 1024, seed: 3)) // one part uploaded: a multipart upload exists
        sink.discard()
        sink.discard() // twice is fine
        #expect(throws: S3Error.self) { try sink.write([1]) }
        #expect(try client.listObjects(bucket: bucket, prefix: "").isEmpty)
        #expect(try client.listMultipartUploads(bucket: bucket, prefix: "").isEmpty)
        let cli = try await S3TestPeer.aws(["s3api", "list-multipart-uploads", "--bucket", bucket, "--output", "json"])
        #expect(cli.status == 0)
        #expect(!cli.stdout.contains("UploadId"))
    }

    @Test func sweeperAbortsOnlyStaleUploadsUnderThePrefix() async throws {
        let client = try S3TestPeer.client()
        let bucket = try await S3TestPeer.makeBucket()
        let a = try client.createMultipartUpload(bucket: bucket, key: "repo/one.tar")
        let b = try client.createMultipartUpload(bucket: bucket, key: "repo/sub dir/two.tar")
        _ = try client.uploadPart(bucket: bucket, key: "repo/one.tar", uploadId: a, partNumber: 1, bytes: [1, 2, 3])
        _ = try client.createMultipartUpload(bucket: bucket, key: "elsewhere/three.tar")
        // moto reports every upload as initiated 2010-11-10T20:48:33Z (hard-coded), so the cutoff is
        // checked against the time it reports: one before it spares every upload, one after it
        // aborts every upload under the prefix and no other.
        let initiated = try #require(try client.listMultipartUploads(bucket: bucket, prefix: "repo/").compactMap(\.initiated).min())
        #expect(try client.listMultipartUploads(bucket: bucket, prefix: "repo/").count == 2)
        #expect(try client.abortStaleUploads(bucket: bucket, prefix: "repo/", initiatedBefore: initiated).isEmpty)
        let aborted = try client.abortStaleUploads(bucket: bucket, prefix: "repo/", initiatedBefore: initiated.addingTimeInterval(1))
        #expect(Set(aborted.map(\.uploadId)) == [a, b])
        let cli = try await S3TestPeer.aws(["s3api", "list-multipart-uploads", "--bucket", bucket, "--query", "Uploads[].Key", "--output", "json"])
        #expect(cli.status == 0, "\(cli.stderr)")
        let left = try JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as? [String]
        #expect(left == ["elsewhere/three.tar"])
    }

    @Test func wrongCredentialsAreOneTypedLineWithoutTheSecretAndAreNotRetried() async throws {
        let bucket = try await S3TestPeer.makeBucket()
        let secret = "wrong-secret-DO-NOT-PRINT"
        try S3TestPeer.reset(bucket)
        for client in [try S3TestPeer.client(secret: secret), try S3TestPeer.client(secret: secret, accessKeyId: "AKIAUNKNOWNKEY000000")] {
            do {
                _ = try client.listObjects(bucket: bucket, prefix: "x/")
                Issue.record("listing with wrong credentials succeeded")
            } catch let error as S3Error {
                #expect(error.code == .authentication)
                #expect(["SignatureDoesNotMatch", "InvalidAccessKeyId"].contains(error.s3Code ?? ""))
                #expect(!error.description.contains(secret))
                #expect(!error.description.contains("\n"))
                #expect(error.description.contains("AWS_SECRET_ACCESS_KEY"))
            }
        }
        #expect(try S3TestPeer.stats(bucket)["requests"] == 2) // one request each: auth errors are not retried
    }

    @Test func serverErrorsAreRetriedWithBackoff() async throws {
        let client = try S3TestPeer.client()
        let bucket = try await S3TestPeer.makeBucket()
        try S3TestPeer.reset(bucket)
        try S3TestPeer.fault(bucket, "kind=status&code=503&count=2&match=PUT")
        try await S3TestPeer.off { _ = try client.putObject(bucket: bucket, key: "retried", bytes: [1, 2, 3]) }
        try S3TestPeer.fault(bucket, "kind=status&code=500&count=1&match=GET")
        try S3TestPeer.fault(bucket, "kind=reset&count=1&match=GET")
        #expect(try await S3TestPeer.off { try client.getObjectBytes(bucket: bucket, key: "retried") } == [1, 2, 3])
        let stats = try S3TestPeer.stats(bucket)
        #expect(stats["faults_injected"] == 4)
        #expect(stats["faults_left"] == 0)
    }

    /// A response that stalls longer than the stall timeout is abandoned and retried, not waited for.
    @Test func aStalledResponseTimesOutAndIsRetried() async throws {
        // A 5 s stall timeout (every attempt has it, so a loaded host's slow answer to the retry
        // must not count as a stall too) against a 30 s stall.
        let client = try S3TestPeer.client(stallTimeout: 5)
        let bucket = try await S3TestPeer.makeBucket()
        try client.putObject(bucket: bucket, key: "slow", bytes: [4, 2])
        try S3TestPeer.reset(bucket)
        try S3TestPeer.fault(bucket, "kind=slow&delay=30&count=1&match=GET")
        // Timed on the thread that makes the call, so waiting for the test's task to resume is not counted.
        let (bytes, seconds) = try await S3TestPeer.off {
            let started = Date()
            let bytes = try client.getObjectBytes(bucket: bucket, key: "slow")
            return (bytes, Date().timeIntervalSince(started))
        }
        #expect(bytes == [4, 2])
        #expect(seconds < 25) // did not wait for the 30 s answer
        #expect(try S3TestPeer.stats(bucket)["faults_injected"] == 1)
    }

    @Test func boundedRetriesGiveUpWithAClearError() async throws {
        let client = try S3TestPeer.client()
        let bucket = try await S3TestPeer.makeBucket()
        try S3TestPeer.reset(bucket)
        try S3TestPeer.fault(bucket, "kind=status&code=500&count=100&match=PUT")
        defer { _ = try? S3TestPeer.reset(bucket) }
        do {
            try await S3TestPeer.off { _ = try client.putObject(bucket: bucket, key: "never", bytes: [1]) }
            Issue.record("put succeeded despite the faults")
        } catch let error as S3Error {
            #expect(error.code == .unreachable)
            #expect(error.description.contains("gave up after 3 attempts"), "\(error.description)")
            #expect(error.description.contains("InternalError"))
        }
        #expect(try S3TestPeer.stats(bucket)["faults_injected"] == 3)
    }

    @Test func aDroppedDownloadResumesFromTheLastByte() async throws {
        let client = try S3TestPeer.client()
        let bucket = try await S3TestPeer.makeBucket()
        let data = S3TestPeer.bytes(count: 3 * 1024 * 1024, seed: 4)
        try client.putObject(bucket: bucket, key: "resume/obj", bytes: data)
        try S3TestPeer.reset(bucket)
        try S3TestPeer.fault(bucket, "kind=drop&after=1000000&count=2&match=GET")
        let source = S3ObjectSource(client: client, bucket: bucket, key: "resume/obj")
        #expect(S3TestPeer.sha256(try await S3TestPeer.off { try S3TestPeer.readAll(source) }) == S3TestPeer.sha256(data))
        #expect(try S3TestPeer.stats(bucket)["faults_injected"] == 2)

        // Every attempt dropped: bounded, then a clear error.
        try S3TestPeer.fault(bucket, "kind=drop&after=1000&count=100&match=GET")
        defer { _ = try? S3TestPeer.reset(bucket) }
        let failing = S3ObjectSource(client: client, bucket: bucket, key: "resume/obj", maxResumes: 2)
        do {
            _ = try await S3TestPeer.off { try S3TestPeer.readAll(failing) }
            Issue.record("read succeeded despite the faults")
        } catch let error as S3Error {
            #expect(error.code == .unreachable)
            #expect(error.description.contains("resumed reads failed"), "\(error.description)")
        }
    }

    @Test func theServerStoppingMidUploadLeavesNothingListed() async throws {
        let client = try S3TestPeer.client()
        let bucket = try await S3TestPeer.makeBucket()
        let sink = S3UploadSink(client: client, bucket: bucket, key: "cut/b.tar")
        try S3TestPeer.reset(bucket)
        try S3TestPeer.fault(bucket, "kind=reset&count=1000&match=partNumber=2")
        defer { _ = try? S3TestPeer.reset(bucket) }
        let data = S3TestPeer.bytes(count: 20 * 1024 * 1024, seed: 5)
        let failed: Bool
        do {
            try await S3TestPeer.off {
                try sink.write(data)
                try sink.publish()
            }
            failed = false
        } catch let error as S3Error {
            failed = true
            #expect(error.code == .unreachable, "\(error)")
            sink.discard()
        }
        #expect(failed)
        #expect(try client.listObjects(bucket: bucket, prefix: "").isEmpty)
        #expect(try client.listMultipartUploads(bucket: bucket, prefix: "").isEmpty)
    }

    @Test func anUnreachableEndpointIsATypedError() throws {
        let client = try S3TestPeer.client(endpoint: "http://127.0.0.1:9", retry: S3RetryPolicy(maxAttempts: 2, baseDelay: 0.01, maxDelay: 0.01, maxTotalTime: 5))
        do {
            _ = try client.listObjects(bucket: "any-bucket", prefix: "")
            Issue.record("listing an unreachable endpoint succeeded")
        } catch let error as S3Error {
            #expect(error.code == .unreachable)
            #expect(error.description.contains("127.0.0.1"))
            #expect(!error.description.contains("\n"))
        }
    }

    /// A sanity lower bound, not a timing test: with the cap, 2 MB cannot move in under ~1.5 s
    /// (unthrottled on loopback it takes milliseconds).
    @Test func theRateLimitSlowsTransfers() async throws {
        let bucket = try await S3TestPeer.makeBucket()
        let data = S3TestPeer.bytes(count: 2_000_000, seed: 6)
        try S3TestPeer.client().putObject(bucket: bucket, key: "rate/obj", bytes: data)
        let slow = try S3TestPeer.client(rateLimit: try RateLimit(parsing: "1MB/s"))
        let (bytes, down, up) = try await S3TestPeer.off {
            let started = Date()
            let bytes = try slow.getObjectBytes(bucket: bucket, key: "rate/obj")
            let down = Date().timeIntervalSince(started)
            let upStarted = Date()
            _ = try slow.putObject(bucket: bucket, key: "rate/up", bytes: data)
            return (bytes, down, Date().timeIntervalSince(upStarted))
        }
        #expect(bytes == data)
        #expect(down >= 1.5)
        #expect(up >= 1.5)
    }
}

/// TLS is verified by default; `AWS_CA_BUNDLE` trusts a private CA (the stack's HTTPS proxy is signed
/// by a throwaway CA).
@Suite("ObjectStore TLS")
struct ObjectStoreTLSTests {
    func environment(caBundle: Bool) throws -> [String: String] {
        let env = ProcessInfo.processInfo.environment
        let peer = try S3TestPeer.environment()
        var out = ["AWS_ACCESS_KEY_ID": peer.accessKeyId, "AWS_SECRET_ACCESS_KEY": peer.secret, "AWS_REGION": peer.region,
                   "AWS_ENDPOINT_URL_S3": try #require(env["OPS_TEST_S3_TLS_ENDPOINT"], "OPS_TEST_S3_TLS_ENDPOINT is not set: run the tests with Scripts/test")]
        if caBundle {
            let bundle: String = try #require(env["OPS_TEST_S3_CA_BUNDLE"], "OPS_TEST_S3_CA_BUNDLE is not set")
            out["AWS_CA_BUNDLE"] = bundle
        }
        return out
    }

    @Test func aPrivateCAIsTrustedThroughAWSCABundle() async throws {
        let bucket = try await S3TestPeer.makeBucket()
        let client = S3Client(configuration: try S3Configuration(environment: environment(caBundle: true)))
        try await S3TestPeer.off { _ = try client.putObject(bucket: bucket, key: "tls/obj", bytes: [7, 8, 9]) }
        #expect(try await S3TestPeer.off { try client.getObjectBytes(bucket: bucket, key: "tls/obj") } == [7, 8, 9])
    }

    @Test func anUntrustedCertificateIsRefusedAndNotRetried() async throws {
        var settings = S3TransferSettings()
        // A retry would pause 30 s first, so the time bound below proves there was none while
        // leaving a loaded host room for the TLS handshake itself.
        settings.retry = S3RetryPolicy(maxAttempts: 5, baseDelay: 30, maxDelay: 30, maxTotalTime: 120)
        let client = S3Client(configuration: try S3Configuration(environment: environment(caBundle: false)), settings: settings)
        let (outcome, seconds) = try await S3TestPeer.off { () -> (Result<Int, S3Error>, TimeInterval) in
            let started = Date()
            do {
                let listed = try client.listObjects(bucket: "any-bucket", prefix: "")
                return (.success(listed.count), Date().timeIntervalSince(started))
            } catch let error as S3Error {
                return (.failure(error), Date().timeIntervalSince(started))
            }
        }
        switch outcome {
        case .success: Issue.record("an untrusted certificate was accepted")
        case .failure(let error):
            #expect(error.code == .unreachable)
            #expect(error.description.lowercased().contains("certificate"), "\(error.description)")
            #expect(!error.description.contains("gave up"))
        }
        #expect(seconds < 15) // no backoff pause: not retried
    }
}
