@testable import Backup
import Foundation
import ObjectStore
import OpsCore
import PGClient
import Repository
import Testing

/// Backups in an S3 repository (moto behind the SigV4-checking proxy) through the binary, with the
/// AWS CLI, GNU tar, pg_dump and the age CLI as independent peers.
@Suite("Backup in S3 and encrypted", .serialized)
struct BackupS3Tests {
    /// What an operator sets for an S3 repository, pointing at the test peer.
    static func environment(database: String, repo: String, secret: String? = nil) throws -> [String: String] {
        let peer = try S3TestPeer.environment()
        return ["DATABASE_URL": try BackupTestSupport.url(database), "BACKUP_REPO": repo,
                "AWS_ACCESS_KEY_ID": peer.accessKeyId, "AWS_SECRET_ACCESS_KEY": secret ?? peer.secret, "AWS_REGION": peer.region,
                "AWS_ENDPOINT_URL_S3": peer.endpoint, "AWS_S3_ADDRESSING_STYLE": "path",
                "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"]
    }

    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("backup-s3-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The demo data without the `ops` schema: the binary then records none of its runs in the
    /// source (a backup's own job row would change the source after its snapshot).
    static func seedUnrecorded(_ connection: PostgresConnection) async throws {
        try await BackupTestSupport.seed(connection)
        try await connection.execute("DROP SCHEMA ops CASCADE")
    }

    /// `age-keygen` into `dir/name`; returns the key file and its recipient.
    static func ageKey(_ dir: String, _ name: String) async throws -> (file: String, recipient: String) {
        let file = "\(dir)/\(name)"
        try await BackupTestSupport.shell("age-keygen -o \"$F\" 2>/dev/null", environment: ["F": file])
        let recipient = try await BackupTestSupport.shell("age-keygen -y \"$F\"", environment: ["F": file]).trimmingCharacters(in: .whitespacesAndNewlines)
        return (file, recipient)
    }

    @Test("backup create streams into S3; the AWS CLI sees and downloads it intact; list, verify and restore read it from S3")
    func s3RoundTrip() async throws {
        let bucket = try await S3TestPeer.makeBucket()
        let repo = "s3://\(bucket)/site/backups"
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await PostgresTestDatabase.with(migrated: true) { source, connection in
            try await Self.seedUnrecorded(connection)
            let environment = try Self.environment(database: source, repo: repo)
            let create = try await CLI.run(["backup", "create", "--jobs", "2"], environment: environment)
            try #require(create.status == 0, "\(create.stderr)")
            let entry = try #require(try BackupRepository.open(repo, setting: "test", options: .init(environment: environment)).list().first)
            #expect(entry.archiveName == "\(source)/\(entry.id).tar.zst")
            let stored = try #require(entry.manifest.storedArchive)

            let ls = try await S3TestPeer.aws(["s3", "ls", "--recursive", "s3://\(bucket)/site/backups/"])
            #expect(ls.status == 0, "\(ls.stderr)")
            #expect(ls.stdout.contains("site/backups/\(source)/\(entry.id).tar.zst"))
            #expect(ls.stdout.contains("site/backups/\(source)/\(entry.id).manifest.json"))
            let downloaded = "\(dir)/\(entry.id).tar.zst"
            let cp = try await S3TestPeer.aws(["s3", "cp", "s3://\(bucket)/site/backups/\(source)/\(entry.id).tar.zst", downloaded])
            #expect(cp.status == 0, "\(cp.stderr)")
            #expect(try S3TestPeer.sha256(file: URL(fileURLWithPath: downloaded)) == stored.sha256)
            let members = try await BackupTestSupport.shell("tar --zstd -tf \"$A\"", environment: ["A": downloaded])
            #expect(members.split(separator: "\n").map(String.init) == entry.manifest.members.map(\.name) + ["manifest.json"])

            let list = try await CLI.run(["backup", "list"], environment: environment)
            #expect(list.status == 0 && list.stdout.contains(entry.id), "\(list.stderr)")
            let verify = try await CLI.run(["backup", "verify", "latest"], environment: environment)
            #expect(verify.status == 0, "\(verify.stderr)")
            #expect(try BackupRepository.open(repo, setting: "test", options: .init(environment: environment)).list().first?.verification != nil)

            try await PostgresTestDatabase.with(migrated: false) { target, _ in
                let restore = try await CLI.run(["restore", "latest", "--target-url", try BackupTestSupport.url(target)], environment: environment)
                #expect(restore.status == 0, "\(restore.stderr)")
                try await BackupTestSupport.expectSameDump(source, target, "restore latest from S3")
            }
            // The archive named by its s3:// URL restores too (its manifest beside it).
            try await PostgresTestDatabase.with(migrated: false) { target, _ in
                let restore = try await CLI.run(["restore", "\(repo)/\(source)/\(entry.id).tar.zst", "--target-url", try BackupTestSupport.url(target)],
                                          environment: environment)
                #expect(restore.status == 0, "\(restore.stderr)")
                try await BackupTestSupport.expectSameDump(source, target, "restore by s3:// URL")
            }
        }
    }

    @Test("A pg_dump | zstd file uploaded with the AWS CLI restores with restore s3://…")
    func plainDumpFromS3() async throws {
        let bucket = try await S3TestPeer.makeBucket()
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await PostgresTestDatabase.with(migrated: true) { source, connection in
            try await Self.seedUnrecorded(connection)
            try await BackupTestSupport.shell("pg_dump -d \"$URL\" | zstd -q > \"$F\"", environment: ["URL": try BackupTestSupport.url(source), "F": "\(dir)/old.sql.zst"])
            let cp = try await S3TestPeer.aws(["s3", "cp", "\(dir)/old.sql.zst", "s3://\(bucket)/legacy/old.sql.zst"])
            try #require(cp.status == 0, "\(cp.stderr)")
            let environment = try Self.environment(database: source, repo: "s3://\(bucket)/unused")
            try await PostgresTestDatabase.with(migrated: false) { target, _ in
                let restore = try await CLI.run(["restore", "s3://\(bucket)/legacy/old.sql.zst", "--target-url", try BackupTestSupport.url(target)],
                                          environment: environment)
                #expect(restore.status == 0, "\(restore.stderr)")
                try await BackupTestSupport.expectSameDump(source, target, "pg_dump | zstd from S3")
            }
        }
    }

    @Test("Wrong S3 credentials: one line, exit 3, no secret")
    func wrongCredentials() async throws {
        let bucket = try await S3TestPeer.makeBucket()
        let secret = "wrong-secret-MUST-NOT-APPEAR"
        try await PostgresTestDatabase.with(migrated: true) { source, _ in
            let environment = try Self.environment(database: source, repo: "s3://\(bucket)/b", secret: secret)
            for arguments in [["backup", "list"], ["backup", "create"]] {
                let run = try await CLI.run(arguments, environment: environment)
                #expect(run.status == 3, "\(arguments): \(run.status) \(run.stderr)")
                #expect(!run.stderr.contains(secret) && !run.stdout.contains(secret))
                let lines = run.stderr.split(separator: "\n").filter { $0.hasPrefix("auto-i18n-ops:") }
                #expect(lines.count == 1, "\(run.stderr)")
            }
            let malformed = try await CLI.run(["backup", "list", "--repo", "s3://Bad_Bucket/x"], environment: environment)
            #expect(malformed.status == 2 && malformed.stderr.contains("--repo"), "\(malformed.stderr)")
        }
    }

    @Test("A run killed mid-upload leaves no listed backup; the next run aborts its upload and publishes")
    func killedMidUpload() async throws {
        let bucket = try await S3TestPeer.makeBucket()
        let repo = "s3://\(bucket)/k"
        try await PostgresTestDatabase.with(migrated: true) { source, connection in
            // About 20 MB of zstd output: more than two 8 MiB parts.
            try await connection.execute("CREATE TABLE public.big AS SELECT g, md5(g::text) || md5((g * 7)::text) || md5(random()::text) || md5(random()::text) AS x FROM generate_series(1, 400000) g")
            let environment = try Self.environment(database: source, repo: repo)
            try S3TestPeer.reset(bucket)
            try S3TestPeer.fault(bucket, "kind=slow&delay=60&count=100&match=partNumber=2")
            defer { _ = try? S3TestPeer.reset(bucket) }
            let process = Process()
            process.executableURL = try CLI.executable()
            process.arguments = ["backup", "create", "--jobs", "1", "--compression-threads", "0"]
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let client = try S3TestPeer.client()
            let deadline = ContinuousClock.now + .seconds(120)
            while try client.listMultipartUploads(bucket: bucket, prefix: "k/").isEmpty || (try S3TestPeer.stats(bucket)["faults_left"] ?? 100) >= 100 {
                try #require(ContinuousClock.now < deadline, "the upload never reached its second part")
                try #require(process.isRunning, "backup create ended before its second part")
                try await Task.sleep(for: .milliseconds(100))
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            try S3TestPeer.reset(bucket)
            #expect(try BackupRepository.open(repo, setting: "test", options: .init(environment: environment)).list().isEmpty)
            #expect(try client.listMultipartUploads(bucket: bucket, prefix: "k/").count == 1)

            let again = try await CLI.run(["backup", "create", "--jobs", "1"], environment: environment)
            #expect(again.status == 0, "\(again.stderr)")
            // moto reports every upload initiated on 2010-11-10, long before the sweep's cutoff.
            #expect(try client.listMultipartUploads(bucket: bucket, prefix: "k/").isEmpty)
            #expect(try BackupRepository.open(repo, setting: "test", options: .init(environment: environment)).list().count == 1)
        }
    }

    @Test("Encrypted backups: .tar.zst.age, verify with and without the identity, wrong or missing identity exit 2 before the target is touched, age CLI interop both ways")
    func encrypted() async throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let repo = "\(dir)/repo"
        let key = try await Self.ageKey(dir, "key.txt")
        let other = try await Self.ageKey(dir, "other.txt")
        try await PostgresTestDatabase.with(migrated: true) { source, connection in
            try await Self.seedUnrecorded(connection)
            var environment = ["DATABASE_URL": try BackupTestSupport.url(source), "BACKUP_REPO": repo]
            environment["BACKUP_IDENTITY"] = nil
            let create = try await CLI.run(["backup", "create", "--recipient", key.recipient], environment: environment)
            try #require(create.status == 0, "\(create.stderr)")
            // A plain one beside it: both kinds coexist.
            let plain = try await CLI.run(["backup", "create", "--compression", "gzip"], environment: environment)
            try #require(plain.status == 0, "\(plain.stderr)")
            let entries = try BackupRepository(root: repo).list()
            #expect(entries.count == 2)
            let encrypted = try #require(entries.first { $0.isEncrypted })
            #expect(encrypted.archiveName.hasSuffix(".tar.zst.age"))
            #expect(encrypted.manifest.storedArchive?.recipients == [key.recipient])
            let archive = encrypted.archivePath
            #expect(try await BackupTestSupport.shell("head -c 21 \"$A\"", environment: ["A": archive]) == "age-encryption.org/v1")

            let storedOnly = try await CLI.run(["backup", "verify", encrypted.id], environment: environment)
            #expect(storedOnly.status == 0, "\(storedOnly.stderr)")
            let full = try await CLI.run(["backup", "verify", encrypted.id, "--identity", key.file], environment: environment)
            #expect(full.status == 0 && full.stdout.contains("every checksum matches"), "\(full.stderr)")

            try await PostgresTestDatabase.with(migrated: false) { target, targetConnection in
                let url = try BackupTestSupport.url(target)
                for (arguments, what) in [([String](), "BACKUP_IDENTITY"), (["--identity", other.file], "does not match")] {
                    let refused = try await CLI.run(["restore", encrypted.id, "--target-url", url] + arguments, environment: environment)
                    #expect(refused.status == 2, "\(refused.stderr)")
                    #expect(refused.stderr.contains(what), "\(refused.stderr)")
                    #expect(!refused.stderr.contains("AGE-SECRET-KEY"))
                    #expect(try await BackupTestSupport.objectCount(targetConnection) == 0, "the target was touched")
                }
                environment["BACKUP_IDENTITY"] = key.file
                let restore = try await CLI.run(["restore", encrypted.id, "--target-url", url], environment: environment)
                #expect(restore.status == 0, "\(restore.stderr)")
                try await BackupTestSupport.expectSameDump(source, target, "encrypted restore")
            }
            // The no-tool path of Runbooks/restore.md: age -d | tar | psql.
            try await PostgresTestDatabase.with(migrated: false) { target, _ in
                try await BackupTestSupport.shell("age -d -i \"$K\" \"$A\" | tar --zstd -xOf - --wildcards '*.sql' | psql -q -v ON_ERROR_STOP=1 -d \"$URL\" >/dev/null",
                                            environment: ["K": key.file, "A": archive, "URL": try BackupTestSupport.url(target)])
                try await BackupTestSupport.expectSameDump(source, target, "age -d | tar | psql")
            }
            // Files encrypted by `age -r`: a plain pg_dump script and a plain archive.
            let plainEntry = try #require(entries.first { !$0.isEncrypted })
            try await BackupTestSupport.shell("pg_dump -d \"$URL\" | zstd -q | age -r \"$R\" > \"$D/old.sql.zst.age\"; age -r \"$R\" -o \"$D/copied.tar.gz.age\" \"$P\"",
                                        environment: ["URL": try BackupTestSupport.url(source), "R": key.recipient, "D": dir, "P": plainEntry.archivePath])
            for file in ["old.sql.zst.age", "copied.tar.gz.age"] {
                try await PostgresTestDatabase.with(migrated: false) { target, _ in
                    let restore = try await CLI.run(["restore", "\(dir)/\(file)", "--target-url", try BackupTestSupport.url(target), "--identity", key.file],
                                              environment: environment)
                    #expect(restore.status == 0, "\(file): \(restore.stderr)")
                    try await BackupTestSupport.expectSameDump(source, target, "age -r \(file)")
                }
            }
        }
    }

    @Test("backup copy: local -> S3 -> local, checked on arrival, manifest last; a damaged source copies nothing")
    func copyBetweenRepositories() async throws {
        let bucket = try await S3TestPeer.makeBucket()
        let offsite = "s3://\(bucket)/off-site"
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let key = try await Self.ageKey(dir, "key.txt")
        try await PostgresTestDatabase.with(migrated: true) { source, connection in
            try await Self.seedUnrecorded(connection)
            let local = "\(dir)/local"
            var environment = try Self.environment(database: source, repo: local)
            let create = try await CLI.run(["backup", "create", "--recipient", key.recipient], environment: environment)
            try #require(create.status == 0, "\(create.stderr)")
            let entry = try #require(try BackupRepository(root: local).list().first)

            let copy = try await CLI.run(["backup", "copy", "latest", "--to", offsite], environment: environment)
            #expect(copy.status == 0, "\(copy.stderr)")
            #expect(copy.stdout.contains("copied to \(offsite)/\(source)/\(entry.id).tar.zst.age"), "\(copy.stdout)")
            let ls = try await S3TestPeer.aws(["s3", "ls", "s3://\(bucket)/off-site/\(source)/"])
            #expect(ls.stdout.contains("\(entry.id).tar.zst.age") && ls.stdout.contains("\(entry.id).manifest.json"), "\(ls.stdout)")
            let again = try await CLI.run(["backup", "copy", entry.id, "--to", offsite], environment: environment)
            #expect(again.status == 0 && again.stdout.contains("already in"), "\(again.stdout) \(again.stderr)")
            // Off-site, without the key: checked as stored; with it: every member.
            #expect(try await CLI.run(["backup", "verify", "latest", "--repo", offsite], environment: environment).status == 0)
            let full = try await CLI.run(["backup", "verify", "latest", "--repo", offsite, "--identity", key.file], environment: environment)
            #expect(full.status == 0 && full.stdout.contains("every checksum matches"), "\(full.stderr)")

            // And back from S3 into a fresh local repository, restored from there.
            let back = "\(dir)/back"
            let home = try await CLI.run(["backup", "copy", "latest", "--repo", offsite, "--to", back], environment: environment)
            #expect(home.status == 0, "\(home.stderr)")
            #expect(try S3TestPeer.sha256(file: URL(fileURLWithPath: "\(back)/\(source)/\(entry.id).tar.zst.age")) == entry.manifest.storedArchive?.sha256)
            try await PostgresTestDatabase.with(migrated: false) { target, _ in
                let restore = try await CLI.run(["restore", "latest", "--repo", back, "--identity", key.file, "--target-url", try BackupTestSupport.url(target)],
                                          environment: environment)
                #expect(restore.status == 0, "\(restore.stderr)")
                try await BackupTestSupport.expectSameDump(source, target, "restore of a copy of a copy")
            }

            // A damaged source: nothing listed at the destination, no upload left behind.
            var bytes = try Data(contentsOf: URL(fileURLWithPath: entry.archivePath))
            bytes[bytes.count / 2] ^= 0xFF
            try bytes.write(to: URL(fileURLWithPath: entry.archivePath))
            environment["BACKUP_REPO"] = local
            let damaged = try await CLI.run(["backup", "copy", "latest", "--to", "s3://\(bucket)/other"], environment: environment)
            #expect(damaged.status == 1, "\(damaged.stderr)")
            #expect(damaged.stderr.contains("corrupt"), "\(damaged.stderr)")
            let client = try S3TestPeer.client()
            #expect(try client.listObjects(bucket: bucket, prefix: "other/").isEmpty)
            #expect(try client.listMultipartUploads(bucket: bucket, prefix: "other/").isEmpty)
        }
    }

    @Test("--max-rate / BACKUP_MAX_RATE cap a transfer to a repository; a malformed rate is exit 2")
    func maxRate() async throws {
        let bucket = try await S3TestPeer.makeBucket()
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await PostgresTestDatabase.with(migrated: true) { source, connection in
            try await Self.seedUnrecorded(connection)
            var environment = try Self.environment(database: source, repo: "\(dir)/local")
            let create = try await CLI.run(["backup", "create"], environment: environment)
            try #require(create.status == 0, "\(create.stderr)")
            let entry = try #require(try BackupRepository(root: "\(dir)/local").list().first)
            try #require(entry.archiveBytes > 2_000_000, "the backup is \(entry.archiveBytes) bytes")
            // A lower bound only: at 1 MB/s the copy cannot take less than bytes / 1 MB/s.
            let clock = ContinuousClock()
            let start = clock.now
            let copy = try await CLI.run(["backup", "copy", "latest", "--to", "s3://\(bucket)/slow", "--max-rate", "1MB/s"], environment: environment)
            let elapsed = clock.now - start
            #expect(copy.status == 0, "\(copy.stderr)")
            #expect(elapsed >= .milliseconds(Int64(Double(entry.archiveBytes) / 1_000_000 * 900)), "\(elapsed) for \(entry.archiveBytes) bytes")
            for (arguments, variable) in [(["--max-rate", "fast"], nil), ([], "0"), (["--max-rate", "200GB/s"], nil)] as [([String], String?)] {
                environment["BACKUP_MAX_RATE"] = variable
                let bad = try await CLI.run(["backup", "copy", "latest", "--to", "\(dir)/other"] + arguments, environment: environment)
                #expect(bad.status == 2, "\(arguments) \(variable ?? ""): \(bad.stderr)")
                #expect(bad.stderr.contains("rate"), "\(bad.stderr)")
            }
        }
    }

    @Test("The S3 server gone mid-upload: exit 3, one line, no listed backup; the next run aborts the upload left behind")
    func serverGoneMidUpload() async throws {
        let bucket = try await S3TestPeer.makeBucket()
        let repo = "s3://\(bucket)/gone"
        try await PostgresTestDatabase.with(migrated: true) { source, connection in
            // More than two 8 MiB parts of zstd output.
            try await connection.execute("CREATE TABLE public.big AS SELECT g, md5(g::text) || md5((g * 7)::text) || md5(random()::text) || md5(random()::text) AS x FROM generate_series(1, 400000) g")
            let environment = try Self.environment(database: source, repo: repo)
            try S3TestPeer.reset(bucket)
            // From the second part on, the server answers nothing: parts, the abort, the completion.
            try S3TestPeer.fault(bucket, "kind=reset&count=100000&match=partNumber=2")
            try S3TestPeer.fault(bucket, "kind=reset&count=100000&match=DELETE")
            let failed: CLI.Result
            do {
                defer { _ = try? S3TestPeer.reset(bucket) }
                failed = try await CLI.run(["backup", "create", "--jobs", "1"], environment: environment)
            }
            #expect(failed.status == 3, "\(failed.status): \(failed.stderr)")
            #expect(failed.stderr.split(separator: "\n").filter { $0.hasPrefix("auto-i18n-ops:") }.count == 1, "\(failed.stderr)")
            let client = try S3TestPeer.client()
            #expect(try BackupRepository.open(repo, setting: "test", options: .init(environment: environment)).list().isEmpty)
            #expect(try client.listMultipartUploads(bucket: bucket, prefix: "gone/").count == 1, "the abort could not reach the server")

            let again = try await CLI.run(["backup", "create", "--jobs", "1"], environment: environment)
            #expect(again.status == 0, "\(again.stderr)")
            #expect(try client.listMultipartUploads(bucket: bucket, prefix: "gone/").isEmpty)
            #expect(try BackupRepository.open(repo, setting: "test", options: .init(environment: environment)).list().count == 1)
        }
    }
}
