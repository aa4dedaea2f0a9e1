import Foundation
import OpsCore
@testable import Retention
import OpsSupport
import Testing

@Suite("Retention: durations, archive names, summaries")
struct RetentionUnitTests {
    @Test(arguments: [("demo-batch-001", "demo-batch-001"), ("batch_abc.v2", "batch_abc.v2"),
                      ("../etc/passwd", "%2E.%2Fetc%2Fpasswd"), ("a/b", "a%2Fb"), ("50%", "50%25"), ("é", "%C3%A9")])
    func archiveFileNamesCannotLeaveTheirDirectory(batchID: String, fileName: String) {
        #expect(BatchArchive.fileName(batchID) == fileName)
        #expect(!BatchArchive.fileName(batchID).contains("/"))
    }

    @Test func archivePathsFollowTheRepositoryLayout() {
        #expect(BatchArchive.path(repository: "/srv/backups", yearMonth: "2026/03", batchID: "b-1")
                == "/srv/backups/archive/batches/2026/03/b-1.tar.zst")
        #expect(BatchArchive.uri(path: "/srv/x.tar.zst") == "file:///srv/x.tar.zst")
        #expect(BatchArchive.localPath(uri: "s3://bucket/x.jsonl.gz", repository: "/srv") == nil)
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
