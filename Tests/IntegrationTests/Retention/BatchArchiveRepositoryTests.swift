import Foundation
import OpsCore
import OpsSupport
import PGClient
@testable import Retention
import Testing

/// Batch archives in their own repository (`ARCHIVE_REPO`): on S3 (moto behind the SigV4-checking
/// proxy, the AWS CLI as the independent client), encrypted to age recipients (the `age` CLI as the
/// oracle), beside the backups without being taken for a database, and archives made before the
/// archive repository existed. Through the binary, as an operator runs it.
@Suite("Retention: the archive repository (S3, age, beside backups)", .serialized)
struct BatchArchiveRepositoryTests {
    /// `batch_id`, `archive_uri`, `archive_sha256` of every archived batch whose URI starts with `scheme`.
    static func archived(_ db: PostgresConnection, scheme: String) async throws -> [(batchID: String, uri: String, sha: String)] {
        try await db.query("""
            SELECT batch_id, archive_uri, archive_sha256 FROM public.batches
            WHERE archived_at IS NOT NULL AND starts_with(archive_uri, $1) ORDER BY batch_id
            """, [scheme]).rows.map { (try $0.decode(String.self, "batch_id"), try $0.decode(String.self, "archive_uri"), try $0.decode(String.self, "archive_sha256")) }
    }

    /// An age key pair made by `age-keygen`: the identity file and its recipient.
    static func keyPair(_ directory: AgeScratchDirectory, _ name: String) async throws -> (identity: String, recipient: String) {
        try await AgeCLI.succeed("age-keygen", ["-o", directory.path(name)])
        let recipient = try await AgeCLI.succeed("age-keygen", ["-y", directory.path(name)]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return (directory.path(name), recipient)
    }

    /// `tar --zstd -xOf FILE MEMBER` (GNU tar), the archive's content oracle.
    static func member(_ file: String, _ member: String) throws -> String {
        String(decoding: try BatchArchivalTests.tool(["tar", "--zstd", "-xOf", file, member]), as: UTF8.self)
    }

    @Test func retentionArchivesEncryptedToS3AndUnarchiveBringsTheRowsBackIdentical() async throws {
        let bucket = try await S3TestPeer.makeBucket()
        let keys = try AgeScratchDirectory()
        let key = try await Self.keyPair(keys, "key.txt")
        let other = try await Self.keyPair(keys, "other.txt")
        try Data((key.recipient + "\n").utf8).write(to: URL(fileURLWithPath: keys.path("recipients.txt")))
        try await PostgresTestDatabase.with { name, db in
            try await RetentionFixtures.seedDemo(db)
            // An id with a space, a slash, a percent sign and non-ASCII: its key is percent-encoded
            // (`%20`, `%2F`, `%25`, `%C3%A9`), which the SigV4-checking proxy must accept as signed.
            try await db.query("UPDATE public.batches SET batch_id = $1 WHERE batch_id = 'demo-batch-001'", ["demo batch/é 50%"])
            let before = try await RetentionFixtures.requestRows(db)
            let lines = try await BatchArchivalTests.jsonLines(db)
            let environment = try S3RepositoryTests.environment().merging([
                "DATABASE_URL": try #require(try RetentionFixtures.configuration(name).databaseURL),
                "BACKUP_REPO": "s3://\(bucket)/site/backups", "BACKUP_RECIPIENTS": keys.path("recipients.txt"), "ENABLE_CACHE": "false",
            ]) { $1 }

            let run = try await CLI.run(["retention", "--only", "batches", "--json"], environment: environment)
            #expect(run.status == ExitCode.ok, "\(run.stderr)")
            // (The demo's batches 013 and 014 were archived by the application's own tool, to another bucket.)
            let archived = try await Self.archived(db, scheme: "s3://\(bucket)/")
            #expect(archived.count == 18)
            for batch in archived {
                // The default archive repository: `archive` beside the backup repository.
                #expect(batch.uri.hasPrefix("s3://\(bucket)/site/archive/batches/"))
                #expect(batch.uri.hasSuffix("/\(BatchArchive.fileName(batch.batchID)).tar.zst.age"))
            }

            // The AWS CLI sees exactly those objects, and nothing under the backup repository.
            let ls = try await S3TestPeer.aws(["s3", "ls", "--recursive", "s3://\(bucket)/"])
            #expect(ls.status == 0, "\(ls.stderr)")
            let keysListed = ls.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) }.sorted()
            #expect(keysListed == archived.map { String($0.uri.dropFirst("s3://\(bucket)/".count)) }.sorted())

            // Downloaded with the AWS CLI: the recorded SHA-256 is the object's; `age -d -i` decrypts it
            // to a tar.zst whose requests.jsonl is the batch's rows.
            #expect(archived.contains { $0.uri.hasSuffix("/demo%20batch%2F%C3%A9%2050%25.tar.zst.age") })
            for batch in archived.filter({ $0.batchID.hasPrefix("demo batch") }) + archived.prefix(2) {
                let base = keys.path(BatchArchive.fileName(batch.batchID))
                let file = base + ".tar.zst.age"
                let cp = try await S3TestPeer.aws(["s3", "cp", batch.uri, file])
                #expect(cp.status == 0, "\(cp.stderr)")
                #expect(try S3TestPeer.sha256(file: URL(fileURLWithPath: file)) == batch.sha)
                try await AgeCLI.succeed("age", ["-d", "-i", key.identity, "-o", base + ".tar.zst", file])
                #expect(try Self.member(base + ".tar.zst", BatchArchive.requestsEntry) == lines[batch.batchID])
                #expect(try await AgeCLI.run("age", ["-d", "-i", other.identity, "-o", base + ".wrong", file]).status != 0)
            }

            // Without an identity, or with the wrong one: one line, exit 2, nothing changed.
            let state = { try await db.query("SELECT batch_id, archived_at::text, archive_uri, archive_sha256 FROM public.batches ORDER BY id").rows.map(\.values) }
            let batchesBefore = try await state()
            let missing = try await CLI.run(["batches", "unarchive", archived[0].batchID], environment: environment)
            #expect(missing.status == ExitCode.usage)
            #expect(missing.stderr.contains("--identity"))
            #expect(missing.stderr.split(separator: "\n").count == 1)
            let wrong = try await CLI.run(["batches", "unarchive", archived[0].batchID, "--identity", other.identity], environment: environment)
            #expect(wrong.status == ExitCode.usage)
            #expect(wrong.stderr.split(separator: "\n").count == 1)
            #expect(!wrong.stderr.contains("AGE-SECRET-KEY"))
            #expect(try await state() == batchesBefore)

            // With the identity (BACKUP_IDENTITY, and --identity), every batch comes back identical.
            let withIdentity = environment.merging(["BACKUP_IDENTITY": key.identity]) { $1 }
            for (index, batch) in archived.enumerated() {
                let arguments = ["batches", "unarchive", batch.batchID] + (index == 0 ? ["--identity", key.identity] : [])
                let restored = try await CLI.run(arguments, environment: index == 0 ? environment : withIdentity)
                #expect(restored.status == ExitCode.ok, "\(restored.stderr)")
                #expect(restored.stdout.contains("from \(batch.uri)"))
            }
            #expect(try await RetentionFixtures.requestRows(db) == before)
            #expect(try await Self.archived(db, scheme: "s3://\(bucket)/").isEmpty)
        }
    }

    @Test func wrongS3CredentialsAreOneLineExitThreeWithoutTheSecretAndChangeNothing() async throws {
        let bucket = try await S3TestPeer.makeBucket()
        try await PostgresTestDatabase.with { name, db in
            try await RetentionFixtures.seedDemo(db)
            let before = try await RetentionFixtures.requestRows(db)
            let secret = "wrong-secret-\(UUID().uuidString)"
            let environment = try S3RepositoryTests.environment(secret: secret).merging([
                "DATABASE_URL": try #require(try RetentionFixtures.configuration(name).databaseURL),
                "ARCHIVE_REPO": "s3://\(bucket)/archive", "ENABLE_CACHE": "false",
            ]) { $1 }
            let run = try await CLI.run(["retention", "--only", "batches"], environment: environment)
            #expect(run.status == ExitCode.storeUnavailable, "\(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1)
            #expect(!run.stderr.contains(secret))
            #expect(try await RetentionFixtures.requestRows(db) == before)
            #expect(try await Self.archived(db, scheme: "s3://\(bucket)/").isEmpty)
            let ls = try await S3TestPeer.aws(["s3", "ls", "--recursive", "s3://\(bucket)/"])
            #expect(ls.status == 0 && ls.stdout.isEmpty, "\(ls.stderr)")
        }
    }

    @Test func encryptedLocalArchivesDecryptWithTheAgeCLI() async throws {
        let root = try RetentionFixtures.temporaryRepository()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let keys = try AgeScratchDirectory()
        let key = try await Self.keyPair(keys, "key.txt")
        try await PostgresTestDatabase.with { name, db in
            try await RetentionFixtures.seedDemo(db)
            let before = try await RetentionFixtures.requestRows(db)
            let lines = try await BatchArchivalTests.jsonLines(db)
            let environment = ["DATABASE_URL": try #require(try RetentionFixtures.configuration(name).databaseURL),
                               "BACKUP_REPO": root + "/backups", "ENABLE_CACHE": "false"]
            let run = try await CLI.run(["retention", "--only", "batches", "--recipient", key.recipient], environment: environment)
            #expect(run.status == ExitCode.ok, "\(run.stderr)")
            let archived = try await Self.archived(db, scheme: "file://")
            #expect(archived.count == 18)
            for batch in archived {
                let path = String(batch.uri.dropFirst("file://".count))
                #expect(path.hasPrefix(root + "/archive/batches/"))
                #expect(path.hasSuffix(".tar.zst.age"))
                #expect((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) == 0o600)
                #expect(String(decoding: try BatchArchivalTests.tool(["sha256sum", path]), as: UTF8.self).hasPrefix(batch.sha + " "))
                try await AgeCLI.succeed("age", ["-d", "-i", key.identity, "-o", keys.path("plain.tar.zst"), path])
                #expect(try Self.member(keys.path("plain.tar.zst"), BatchArchive.requestsEntry) == lines[batch.batchID])
                try FileManager.default.removeItem(atPath: keys.path("plain.tar.zst"))
            }
            #expect(!FileManager.default.fileExists(atPath: root + "/backups/archive"))
            // A bad recipient is exit 2 before anything is deleted.
            let bad = try await CLI.run(["retention", "--recipient", "age1notarecipient"], environment: environment)
            #expect(bad.status == ExitCode.usage)
            #expect(bad.stderr.split(separator: "\n").count == 1)

            for batch in archived {
                let restored = try await CLI.run(["batches", "unarchive", batch.batchID, "--identity", key.identity], environment: environment)
                #expect(restored.status == ExitCode.ok, "\(restored.stderr)")
            }
            #expect(try await RetentionFixtures.requestRows(db) == before)
        }
    }

    /// Archives written before ARCHIVE_REPO existed live under `$BACKUP_REPO/archive/batches/`; their
    /// absolute `archive_uri` still unarchives, and so does a moved backup repository's.
    @Test func archivesMadeUnderTheBackupRepositoryStillUnarchive() async throws {
        let root = try RetentionFixtures.temporaryRepository()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await PostgresTestDatabase.with { name, db in
            try await RetentionFixtures.seedDemo(db)
            let before = try await RetentionFixtures.requestRows(db)
            let url = try #require(try RetentionFixtures.configuration(name).databaseURL)
            // The old layout, `<BACKUP_REPO>/archive/batches/…`, for BACKUP_REPO = root/old.
            let run = try await CLI.run(["retention", "--only", "batches"],
                                  environment: ["DATABASE_URL": url, "BACKUP_REPO": root + "/backups", "ARCHIVE_REPO": root + "/old/archive", "ENABLE_CACHE": "false"])
            #expect(run.status == ExitCode.ok, "\(run.stderr)")
            let archived = try await Self.archived(db, scheme: "file://")
            #expect(archived.count == 18)
            #expect(archived.allSatisfy { $0.uri.hasPrefix("file://\(root)/old/archive/batches/") })

            // In place, with the old BACKUP_REPO and no ARCHIVE_REPO.
            let old = ["DATABASE_URL": url, "BACKUP_REPO": root + "/old"]
            for batch in archived.prefix(9) {
                let restored = try await CLI.run(["batches", "unarchive", batch.batchID], environment: old)
                #expect(restored.status == ExitCode.ok, "\(restored.stderr)")
            }
            // The backup volume moved: found under the new BACKUP_REPO.
            try FileManager.default.moveItem(atPath: root + "/old", toPath: root + "/moved")
            for batch in archived.dropFirst(9) {
                let restored = try await CLI.run(["batches", "unarchive", batch.batchID], environment: ["DATABASE_URL": url, "BACKUP_REPO": root + "/moved"])
                #expect(restored.status == ExitCode.ok, "\(restored.stderr)")
                #expect(restored.stdout.contains("from \(root)/moved/archive/batches/"))
            }
            #expect(try await RetentionFixtures.requestRows(db) == before)
        }
    }

    /// The reported bug: archives beside the backups made `restore latest` see two databases.
    @Test func restoreLatestOnARepositoryWithArchivesBesideItPicksTheBackup() async throws {
        let root = try RetentionFixtures.temporaryRepository()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await PostgresTestDatabase.with { name, db in
            try await RetentionFixtures.seedDemo(db)
            let url = try #require(try RetentionFixtures.configuration(name).databaseURL)
            let environment = ["DATABASE_URL": url, "BACKUP_REPO": root + "/backups", "ENABLE_CACHE": "false"]
            let backup = try await CLI.run(["backup", "create"], environment: environment)
            #expect(backup.status == ExitCode.ok, "\(backup.stderr)")
            let run = try await CLI.run(["retention", "--only", "batches"], environment: environment)
            #expect(run.status == ExitCode.ok, "\(run.stderr)")
            #expect(try await Self.archived(db, scheme: "file://\(root)/archive/batches/").count == 18)
            #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/backups") == [name])

            // Beside the database's directory, what other features keep in the backup repository: batch
            // archives from before ARCHIVE_REPO (`archive/`), snapshot copies (`dragonfly/`, with manifests).
            for (directory, file) in [("archive/batches/2026/01", "old-batch.tar.zst"), ("dragonfly", "20260101T000000Z.manifest.json"),
                                      ("dragonfly", "20260101T000000Z.tar.zst")] {
                try AtomicFile.makeDirectories(root + "/backups/" + directory)
                try AtomicFile.write(Data("{}".utf8), to: root + "/backups/" + directory + "/" + file)
            }

            let list = try await CLI.run(["backup", "list"], environment: environment)
            #expect(list.status == ExitCode.ok, "\(list.stderr)")
            #expect(!list.stdout.contains("archive") && !list.stdout.contains("dragonfly"))
            #expect(list.stdout.split(separator: "\n").count == 2, "a header and the one backup: \(list.stdout)")
            try await PostgresTestDatabase.with(migrated: false) { target, targetDB in
                let restore = try await CLI.run(["restore", "latest", "--target-url", try BackupTestSupport.url(target)], environment: environment)
                #expect(restore.status == ExitCode.ok, "\(restore.stderr)")
                let sessions = try await targetDB.query("SELECT count(*) AS n FROM public.sessions").first?.decode(Int64.self, "n")
                let source = try await db.query("SELECT count(*) AS n FROM public.sessions").first?.decode(Int64.self, "n")
                #expect(sessions == source)
            }
        }
    }
}
