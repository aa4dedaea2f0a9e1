import Foundation
import OpsCore
import OpsSupport
import RedisClient
import Snapshot
import Testing

/// `snapshot --copy-to-repo` into an S3 repository (moto behind the SigV4-checking proxy), encrypted
/// to an age recipient, pruned there with its GFS options; the AWS CLI and the `age` CLI are the
/// independent clients.
@Suite("snapshot --copy-to-repo to S3", .serialized)
struct SnapshotS3Tests {
    @Test func anEncryptedCopyIsListedByTheAwsCliDecryptsWithAgeAndOlderCopiesArePruned() async throws {
        let bucket = try await S3TestPeer.makeBucket()
        let keys = try AgeScratchDirectory()
        try await AgeCLI.succeed("age-keygen", ["-o", keys.path("key.txt")])
        let recipient = try await AgeCLI.succeed("age-keygen", ["-y", keys.path("key.txt")]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let prefix = "s3://\(bucket)/site/backups/dragonfly"
        // Two older copies, uploaded with the AWS CLI, and an archive whose manifest never arrived
        // (a killed copy): keep-last 2 keeps the newest old one and deletes the oldest.
        try Data("old".utf8).write(to: URL(fileURLWithPath: keys.path("old")))
        try Data("{}".utf8).write(to: URL(fileURLWithPath: keys.path("old.json")))
        for id in ["20200101T000000Z", "20200102T000000Z"] {
            #expect(try await S3TestPeer.aws(["s3", "cp", keys.path("old"), "\(prefix)/\(id).tar.zst"]).status == 0)
            #expect(try await S3TestPeer.aws(["s3", "cp", keys.path("old.json"), "\(prefix)/\(id).manifest.json"]).status == 0)
        }
        #expect(try await S3TestPeer.aws(["s3", "cp", keys.path("old"), "\(prefix)/20200103T000000Z.tar.zst"]).status == 0)

        try await SnapshotTestSupport.withServer { server, admin in
            for i in 0..<50 { try await admin.command(["SET", "translation:\(i)", String(repeating: "x", count: i)]) }
            try await PostgresTestDatabase.with { name, _ in
                let environment = try S3RepositoryTests.environment().merging([
                    "DATABASE_URL": try #require(try PostgresTestDatabase.opsConfiguration(database: name).databaseURL),
                    "REDIS_URL": SnapshotTestSupport.redisURLString(server), "BACKUP_REPO": "/nonexistent/not-used",
                ]) { $1 }
                let result = try await CLI.run(["snapshot", "--copy-to-repo", "--repo", "s3://\(bucket)/site/backups", "--recipient", recipient,
                                          "--keep-last", "2"], environment: environment)
                #expect(result.status == ExitCode.ok, "\(result.stderr)")

                let ls = try await S3TestPeer.aws(["s3", "ls", "\(prefix)/"])
                #expect(ls.status == 0, "\(ls.stderr)")
                let names = ls.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) }.sorted()
                #expect(names.count == 5, "\(names)")
                #expect(names.contains("20200102T000000Z.tar.zst") && names.contains("20200102T000000Z.manifest.json"))
                #expect(!names.contains { $0.hasPrefix("20200101T000000Z") }, "pruned: archive and manifest")
                // The lone archive is younger than the orphan age (an hour): left for a later run.
                #expect(names.contains("20200103T000000Z.tar.zst"))
                let archive = try #require(names.first { $0.hasSuffix(".tar.zst.age") })
                let id = String(archive.dropLast(".tar.zst.age".count))
                #expect(names.contains("\(id).manifest.json"))
                #expect(result.stdout.contains("\(prefix)/\(archive)"))

                // Downloaded with the AWS CLI: the manifest beside it records the stored object, and
                // `age -d -i` gives a tar.zst holding the server's dump and manifest.json.
                #expect(try await S3TestPeer.aws(["s3", "cp", "\(prefix)/\(archive)", keys.path("copy.age")]).status == 0)
                #expect(try await S3TestPeer.aws(["s3", "cp", "\(prefix)/\(id).manifest.json", keys.path("manifest.json")]).status == 0)
                let beside = try SnapshotManifest.decode(Array(try Data(contentsOf: URL(fileURLWithPath: keys.path("manifest.json")))))
                let stored = try #require(beside.archive)
                #expect(stored.encrypted && stored.name == archive)
                #expect(try S3TestPeer.sha256(file: URL(fileURLWithPath: keys.path("copy.age"))) == stored.sha256)
                try await AgeCLI.succeed("age", ["-d", "-i", keys.path("key.txt"), "-o", keys.path("copy.tar.zst"), keys.path("copy.age")])
                let extracted = keys.path("extracted")
                try FileManager.default.createDirectory(atPath: extracted, withIntermediateDirectories: true)
                #expect(try await SnapshotTestSupport.run("/usr/bin/tar", ["--zstd", "-xf", keys.path("copy.tar.zst"), "-C", extracted]).status == 0)
                let original = try Data(contentsOf: server.directory.appendingPathComponent("dump.rdb"))
                #expect(try Data(contentsOf: URL(fileURLWithPath: extracted + "/dump.rdb")) == original)
                let file = try #require(beside.files.first)
                #expect(beside.files.count == 1 && file.bytes == Int64(original.count))
                #expect(try await SnapshotTestSupport.run("/usr/bin/sha256sum", [extracted + "/dump.rdb"]).output.hasPrefix(file.sha256 + " "))
                #expect(try await SnapshotTestSupport.run("/usr/bin/redis-check-rdb", [extracted + "/dump.rdb"]).output.contains("50 keys read"))
            }
        }
    }

    @Test func wrongS3CredentialsAreOneLineExitThreeWithoutTheSecretAndPublishNothing() async throws {
        let bucket = try await S3TestPeer.makeBucket()
        let secret = "wrong-secret-\(UUID().uuidString)"
        try await SnapshotTestSupport.withServer { server, _ in
            try await PostgresTestDatabase.with { name, _ in
                let environment = try S3RepositoryTests.environment(secret: secret).merging([
                    "DATABASE_URL": try #require(try PostgresTestDatabase.opsConfiguration(database: name).databaseURL),
                    "REDIS_URL": SnapshotTestSupport.redisURLString(server), "BACKUP_REPO": "s3://\(bucket)/backups",
                ]) { $1 }
                let result = try await CLI.run(["snapshot", "--copy-to-repo"], environment: environment)
                #expect(result.status == ExitCode.storeUnavailable, "\(result.stderr)")
                // The error is one line (the log lines before it say the save itself succeeded).
                let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("auto-i18n-ops:") }
                #expect(errors.count == 1, "\(result.stderr)")
                #expect(errors.first?.contains("refused the credentials") == true)
                #expect(!result.stderr.contains(secret))
                let ls = try await S3TestPeer.aws(["s3", "ls", "--recursive", "s3://\(bucket)/"])
                #expect(ls.status == 0 && ls.stdout.isEmpty, "\(ls.stdout)\(ls.stderr)")
            }
        }
    }

    @Test func aMalformedRepoIsAUsageErrorBeforeTheServerIsAsked() async throws {
        let result = try await CLI.run(["snapshot", "--copy-to-repo", "--repo", "gs://bucket/x"], environment: ["REDIS_URL": "redis://127.0.0.1:1/0"])
        #expect(result.status == ExitCode.usage, "\(result.stderr)")
        #expect(result.stderr.contains("--repo"))
        #expect(result.stderr.split(separator: "\n").count == 1)
        let without = try await CLI.run(["snapshot", "--repo", "/tmp/x"], environment: ["REDIS_URL": "redis://127.0.0.1:1/0"])
        #expect(without.status == ExitCode.usage)
    }
}
