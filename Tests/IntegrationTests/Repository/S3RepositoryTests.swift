import Foundation
import ObjectStore
import OpsSupport
import Repository
import Testing

/// The repository abstraction over S3 (moto behind the SigV4-checking proxy), with the AWS CLI as the
/// independent client. Serialized with the ObjectStore suite's habits: the proxy's faults are global.
@Suite("Repository over S3", .serialized)
struct S3RepositoryTests {
    /// The environment a user would set, pointing at the test peer.
    static func environment(secret: String? = nil) throws -> [String: String] {
        let peer = try S3TestPeer.environment()
        return ["AWS_ACCESS_KEY_ID": peer.accessKeyId, "AWS_SECRET_ACCESS_KEY": secret ?? peer.secret, "AWS_REGION": peer.region,
                "AWS_ENDPOINT_URL_S3": peer.endpoint, "AWS_S3_ADDRESSING_STYLE": "path", "HOME": "/nonexistent"]
    }

    static func repository(_ url: String, secret: String? = nil, rateLimit: RateLimit? = nil) throws -> any ObjectRepository {
        var settings = S3TransferSettings()
        settings.retry = S3TestPeer.fastRetry
        return try Repositories.open(url, options: RepositoryOptions(rateLimit: rateLimit, environment: try environment(secret: secret), s3Settings: settings))
    }

    @Test func objectsAreVisibleOnlyOncePublishedAndTheAwsCliSeesAndDownloadsThemIntact() async throws {
        let bucket = try await S3TestPeer.makeBucket()
        let repository = try Self.repository("s3://\(bucket)/site/backups")
        let big = S3TestPeer.bytes(count: 9 * 1024 * 1024 + 123, seed: 5)   // more than one 8 MiB part
        let sink = try repository.create("auto_i18n/20261201T010203Z.tar.zst")
        try sink.write(big)
        #expect(try repository.list(in: "auto_i18n").isEmpty, "an unfinished multipart upload is not listed")
        try sink.publish()
        try repository.write("auto_i18n/20261201T010203Z.manifest.json", contents: Array(#"{"id":1}"#.utf8))

        let listed = try repository.list(in: "auto_i18n")
        #expect(listed.map(\.name) == ["auto_i18n/20261201T010203Z.manifest.json", "auto_i18n/20261201T010203Z.tar.zst"])
        #expect(listed.map(\.size) == [8, Int64(big.count)])
        #expect(try repository.directories() == ["auto_i18n"])
        #expect(try repository.stat("auto_i18n/20261201T010203Z.tar.zst")?.size == Int64(big.count))
        #expect(try repository.read("auto_i18n/20261201T010203Z.manifest.json") == Array(#"{"id":1}"#.utf8))
        #expect(try repository.read("auto_i18n/none.json") == nil)

        let ls = try await S3TestPeer.aws(["s3", "ls", "s3://\(bucket)/site/backups/auto_i18n/"])
        #expect(ls.status == 0, "\(ls.stderr)")
        #expect(ls.stdout.contains("\(big.count) 20261201T010203Z.tar.zst"))
        let file = S3TestPeer.temporaryFile()
        defer { try? FileManager.default.removeItem(at: file) }
        let cp = try await S3TestPeer.aws(["s3", "cp", "s3://\(bucket)/site/backups/auto_i18n/20261201T010203Z.tar.zst", file.path])
        #expect(cp.status == 0, "\(cp.stderr)")
        #expect(try S3TestPeer.sha256(file: file) == S3TestPeer.sha256(big))

        let source = try repository.open("auto_i18n/20261201T010203Z.tar.zst")
        var read: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { break }
            read += buffer[0..<n]
        }
        source.close()
        #expect(read == big)

        try repository.delete("auto_i18n/20261201T010203Z.manifest.json")
        #expect(try repository.list(in: "auto_i18n").map(\.name) == ["auto_i18n/20261201T010203Z.tar.zst"])
    }

    @Test func whatTheAwsCliUploadsIsListedAndReadable() async throws {
        let bucket = try await S3TestPeer.makeBucket()
        let file = S3TestPeer.temporaryFile()
        defer { try? FileManager.default.removeItem(at: file) }
        let body = S3TestPeer.bytes(count: 70_000, seed: 9)
        try Data(body).write(to: file)
        let cp = try await S3TestPeer.aws(["s3", "cp", file.path, "s3://\(bucket)/r/legacy/old dump.sql.zst"])
        try #require(cp.status == 0, "\(cp.stderr)")
        let repository = try Self.repository("s3://\(bucket)/r")
        #expect(try repository.list(in: "legacy").map(\.name) == ["legacy/old dump.sql.zst"])
        #expect(try repository.read("legacy/old dump.sql.zst") == body)
    }

    @Test func aDiscardedAndAnAbandonedUploadAreNeverListedAndTheSweepAbortsByCutoff() async throws {
        let bucket = try await S3TestPeer.makeBucket()
        let repository = try Self.repository("s3://\(bucket)/p")
        let discarded = try repository.create("db/a.tar.zst")
        try discarded.write(S3TestPeer.bytes(count: 9 * 1024 * 1024, seed: 1))
        discarded.discard()
        // An upload a killed run left: started, a part sent, never completed.
        let client = try S3TestPeer.client()
        let id = try client.createMultipartUpload(bucket: bucket, key: "p/db/b.tar.zst")
        _ = try client.uploadPart(bucket: bucket, key: "p/db/b.tar.zst", uploadId: id, partNumber: 1, bytes: [1, 2, 3])
        _ = try client.createMultipartUpload(bucket: bucket, key: "p/other/c.tar.zst")
        #expect(try repository.list(in: "db").isEmpty)
        // moto reports every upload initiated 2010-11-10: test by a cutoff around the reported time.
        let initiated = try #require(try client.listMultipartUploads(bucket: bucket, prefix: "p/db/").compactMap(\.initiated).min())
        #expect(try repository.removeLeftovers(in: "db", initiatedBefore: initiated).isEmpty)
        let removed = try repository.removeLeftovers(in: "db", initiatedBefore: initiated.addingTimeInterval(1))
        #expect(removed.count == 1 && removed[0].contains("p/db/b.tar.zst"))
        #expect(try client.listMultipartUploads(bucket: bucket, prefix: "p/").map(\.key) == ["p/other/c.tar.zst"])
    }

    @Test func wrongCredentialsAreAnAuthenticationErrorWithoutTheSecret() async throws {
        let bucket = try await S3TestPeer.makeBucket()
        let secret = "wrong-secret-NEVER-PRINTED"
        let repository = try Self.repository("s3://\(bucket)/p", secret: secret)
        for operation in [{ try repository.requireExists() }, { _ = try repository.list(in: "db") }] {
            do {
                try operation()
                Issue.record("wrong credentials were accepted")
            } catch let error as RepositoryError {
                #expect(error.code == .authentication)
                #expect(!error.message.contains(secret) && !error.message.contains("\n"))
            }
        }
    }

    @Test func aMissingBucketIsNotFound() throws {
        let repository = try Self.repository("s3://no-such-bucket-\(UUID().uuidString.prefix(8).lowercased())/x")
        #expect { try repository.requireExists() } throws: { error in
            (error as? RepositoryError).map { $0.code == .notFound && $0.message.contains("no bucket") } ?? false
        }
    }

    @Test func aRateLimitedLocalRepositoryPacesWrites() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("repo-rate-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let repository = try Repositories.open(root, options: RepositoryOptions(rateLimit: try RateLimit(parsing: "2MB/s")))
        let clock = ContinuousClock()
        let start = clock.now
        let sink = try repository.create("x/big")
        for _ in 0..<10 { try sink.write([UInt8](repeating: 1, count: 100_000)) }
        try sink.publish()
        // 1 MB at 2 MB/s cannot take less than 0.5 s, however fast the disk is (a lower bound only).
        #expect(clock.now - start >= .milliseconds(450))
    }
}
