import AgeEncryption
import Foundation
import OpsCore
@testable import Retention
import OpsSupport
import Repository
import Testing

@Suite("Retention: durations, archive names, summaries")
struct RetentionUnitTests {
    @Test(arguments: [("demo-batch-001", "demo-batch-001"), ("batch_abc.v2", "batch_abc.v2"),
                      ("../etc/passwd", "%2E.%2Fetc%2Fpasswd"), ("a/b", "a%2Fb"), ("50%", "50%25"), ("é", "%C3%A9")])
    func archiveFileNamesCannotLeaveTheirDirectory(batchID: String, fileName: String) {
        #expect(BatchArchive.fileName(batchID) == fileName)
        #expect(!BatchArchive.fileName(batchID).contains("/"))
    }

    /// `ARCHIVE_REPO`'s default: `archive` beside `BACKUP_REPO`, never inside it.
    @Test(arguments: [
        ("/srv/backups", nil, "/srv/archive"),
        ("/srv/backups/", nil, "/srv/archive"),
        ("/var/lib/auto-i18n-ops/backups", nil, InstallLayout.installed.archiveRepository),
        ("s3://bucket/site/backups", nil, "s3://bucket/site/archive"),
        ("s3://bucket/backups", nil, "s3://bucket/archive"),
        ("/srv/backups", "s3://other/archive", "s3://other/archive"),
        ("s3://bucket/backups", "/srv/archive", "/srv/archive"),
        ("s3://bucket/backups", "file:///srv/archive", "/srv/archive"),
    ] as [(String, String?, String)])
    func archiveRepositoryIsArchiveRepoElseBesideTheBackupRepository(backup: String, archive: String?, expected: String) throws {
        var environment = ["BACKUP_REPO": backup]
        environment["ARCHIVE_REPO"] = archive
        let url = try BatchArchiveRepository.url(try OpsConfiguration(environment: environment))
        #expect(url.description == expected)
    }

    @Test func aRelativeBackupRepositoryGivesAnAbsoluteArchiveRepositoryBesideIt() throws {
        let url = try BatchArchiveRepository.url(try OpsConfiguration(environment: ["BACKUP_REPO": "Backups"]))
        let cwd = FileManager.default.currentDirectoryPath
        #expect(url.description == (cwd == "/" ? "/archive" : cwd + "/" + InstallLayout.checkout.archiveRepository))
    }

    @Test(arguments: [
        ("s3://bucket", nil),                       // the default would be inside the bucket-root repository
        ("/", nil),
        ("/srv/archive", nil),                      // the default would be the backup repository itself
        ("/srv/backups", "/srv/backups"),
        ("/srv/backups", "/srv/backups/archive"),
        ("s3://bucket/backups", "s3://bucket/backups/archive"),
        ("s3://bucket", "s3://bucket/archive"),
        ("/srv/backups", "ftp://host/archive"),     // not a repository URL
    ] as [(String, String?)])
    func anArchiveRepositoryInsideTheBackupRepositoryIsAConfigurationError(backup: String, archive: String?) throws {
        var environment = ["BACKUP_REPO": backup]
        environment["ARCHIVE_REPO"] = archive
        let configuration = try OpsConfiguration(environment: environment)
        let error = try #require(throws: OpsError.self) { try BatchArchiveRepository.url(configuration) }
        #expect(error.code.exitCode == ExitCode.usage)
        #expect(error.message.contains("ARCHIVE_REPO"))
        #expect(!error.message.contains("\n"))
    }

    @Test func archiveNamesAndURIsFollowTheArchiveRepositoryLayout() throws {
        let local = try BatchArchiveRepository.open(try OpsConfiguration(environment: ["ARCHIVE_REPO": "/srv/archive"]), recipients: [])
        let name = local.name(yearMonth: "2026/03", batchID: "b-1")
        #expect(name == "batches/2026/03/b-1.tar.zst")
        #expect(local.uri(name) == "file:///srv/archive/batches/2026/03/b-1.tar.zst")
        let recipient = AgeX25519Identity.generate().recipient.description
        let s3 = try BatchArchiveRepository.open(try OpsConfiguration(environment: ["ARCHIVE_REPO": "s3://bucket/site/archive"]), recipients: [recipient],
                                                 environment: ["AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"])
        let encrypted = s3.name(yearMonth: "2026/03", batchID: "a/b")
        #expect(encrypted == "batches/2026/03/a%2Fb.tar.zst.age")
        #expect(s3.uri(encrypted) == "s3://bucket/site/archive/batches/2026/03/a%2Fb.tar.zst.age")
        #expect(BatchArchive.uri(path: "/srv/x.tar.zst") == "file:///srv/x.tar.zst")
        #expect(BatchArchive.localPath(uri: "s3://bucket/x.jsonl.gz", backupRepository: "/srv", archiveRepository: nil) == nil)
    }

    /// An archive made before ARCHIVE_REPO existed (under `$BACKUP_REPO/archive/batches/`) is found by
    /// its absolute URI, and after the backup repository moved, under the new `BACKUP_REPO`.
    @Test func legacyArchivesUnderTheBackupRepositoryAreStillFound() throws {
        let root = NSTemporaryDirectory() + "legacy-archive-\(UUID())"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let legacy = root + "/old/backups/archive/batches/2026/03/b-1.tar.zst"
        try AtomicFile.makeDirectories((legacy as NSString).deletingLastPathComponent)
        try AtomicFile.write(Data("x".utf8), to: legacy)
        #expect(BatchArchive.localPath(uri: "file://" + legacy, backupRepository: "/elsewhere", archiveRepository: nil) == legacy)
        let moved = root + "/new/backups/archive/batches/2026/03/b-1.tar.zst"
        try AtomicFile.makeDirectories((moved as NSString).deletingLastPathComponent)
        try FileManager.default.moveItem(atPath: legacy, toPath: moved)
        #expect(BatchArchive.localPath(uri: "file://" + legacy, backupRepository: root + "/new/backups", archiveRepository: root + "/new/archive") == moved)
        // Gone everywhere: the recorded path, so the error names it.
        #expect(BatchArchive.localPath(uri: "file:///gone/archive/batches/x.tar.zst", backupRepository: root, archiveRepository: nil) == "/gone/archive/batches/x.tar.zst")
    }

    @Test func autoVacuumsTablesTheRunDeletedTenThousandRowsAndOnePercentFrom() {
        var deleted = TableCounts()
        deleted.sessions = 10_000
        deleted.translationJobs = 100_000
        deleted.files = 200_000
        deleted.batches = 9_999
        deleted.batchRequests = 40_000
        let sizes: [String: Int64] = ["sessions": 1_100_000, "translation_jobs": 10_000_000, "files": 2_000_000,
                                      "batches": 10_000, "batch_requests": 40_000]
        // sessions 0.9 %: no; jobs exactly 1 %: yes; files 10 %: yes; batches under 10 000 rows: no;
        // batch_requests all of them: yes. Children first.
        #expect(DeletionVacuum.due(policy: .auto, deleted: deleted, sizesBefore: sizes) == ["batch_requests", "files", "translation_jobs"])
        // Unknown sizes (never analyzed): the deleted rows are the whole table as far as we know.
        #expect(DeletionVacuum.due(policy: .auto, deleted: deleted, sizesBefore: [:]) == ["batch_requests", "files", "translation_jobs", "sessions"])
        #expect(DeletionVacuum.due(policy: .never, deleted: deleted, sizesBefore: sizes).isEmpty)
        var few = TableCounts()
        few.sessions = 1
        #expect(DeletionVacuum.due(policy: .always, deleted: few, sizesBefore: sizes) == ["sessions"])
        #expect(DeletionVacuum.due(policy: .auto, deleted: few, sizesBefore: sizes).isEmpty)
    }

    @Test func theDetailsUseTheKeysTheMetricsExporterReads() {
        var report = RetentionReport()
        report.deleted.sessions = 3
        report.deleted.files = 7
        report.batchesArchived = 2
        report.cacheKeysDeleted = 4
        report.longestTransactionSeconds = 0.25
        let details = report.details
        #expect(details["deleted"]?["sessions"]?.intValue == 3)
        #expect(details["deleted"]?["files"]?.intValue == 7)
        #expect(details["deleted"]?["translation_jobs"]?.intValue == 0)
        #expect(details["deleted"]?["batch_requests"]?.intValue == 0)
        #expect(details["batches_archived"]?.intValue == 2)
        #expect(details["cache_keys_deleted"]?.intValue == 4)
        #expect(details["longest_transaction_seconds"]?.doubleValue == 0.25)
        let summary = RetentionReport.summary(details)
        #expect(summary.contains("sessions 3"))
        #expect(summary.contains("archived: 2 batches"))
    }

    @Test func optionsOutOfRangeAreUsageErrors() {
        var options = RetentionOptions()
        options.batchSize = 0
        #expect(throws: OpsError.self) { try options.validate() }
        options.batchSize = 10
        options.deleteArchivedBatchesAfterDays = -1
        #expect(throws: OpsError.self) { try options.validate() }
    }
}
