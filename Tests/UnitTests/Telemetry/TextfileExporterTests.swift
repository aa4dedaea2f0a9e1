import Foundation
import OpsCore
import OpsSupport
import TestSupport
import Testing
@testable import Telemetry

@Suite("Textfile exporter (one-shot runs)")
struct TextfileExporterTests {
    private func directory() throws -> String {
        let path = NSTemporaryDirectory() + "textfile-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func aBackupRunsFileIsPromtoolClean() throws {
        let dir = try directory()
        let report = JobRunner.Report(job: "backup", status: .succeeded,
                                      outcome: JobOutcome(details: ["id": "20260101T023000Z", "bytes": 123_456, "duration_seconds": 4.5, "tables": 5]),
                                      duration: .seconds(5))
        try TextfileExporter.write(report, to: dir)
        let text = try String(contentsOfFile: dir + "/auto_i18n_ops_backup.prom", encoding: .utf8)
        let check = try Promtool.checkMetrics(text)
        #expect(check.status == 0 && check.output.isEmpty, "\(check.output)")
        #expect(text.contains("auto_i18n_ops_backup_last_size_bytes 123456"))
        #expect(text.contains(#"auto_i18n_ops_job_last_status{ops_job="backup",status="succeeded"} 1"#))
        let mode = try FileManager.default.attributesOfItem(atPath: dir + "/auto_i18n_ops_backup.prom")[.posixPermissions] as? Int
        #expect(mode == 0o644)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["auto_i18n_ops_backup.prom"], "no temporary file left")
    }

    @Test func nestedDetailsBecomeFlatDetailSeries() throws {
        let report = JobRunner.Report(job: "retention", status: .warning,
                                      outcome: JobOutcome(details: ["deleted": ["sessions": 3, "files": 12], "batches_archived": 2, "dry_run": false]))
        let text = TextfileExporter.render(report, now: Date(timeIntervalSince1970: 1_800_000_000), previous: [:])
        #expect(text.contains(#"auto_i18n_ops_job_last_detail{ops_job="retention",detail="deleted_sessions"} 3"#))
        #expect(text.contains(#"detail="batches_archived"} 2"#))
        #expect(!text.contains("dry_run"))
        #expect(text.contains(#"auto_i18n_ops_job_last_success_timestamp_seconds{ops_job="retention"} 1800000000"#))
        let check = try Promtool.checkMetrics(text)
        #expect(check.status == 0 && check.output.isEmpty, "\(check.output)")
    }

    @Test func aFailedRunKeepsTheLastSuccessAndTheLastBackupsSize() throws {
        let dir = try directory()
        let ok = JobRunner.Report(job: "backup", status: .succeeded, outcome: JobOutcome(details: ["bytes": 999]))
        try TextfileExporter.write(ok, to: dir, now: Date(timeIntervalSince1970: 1_800_000_000))
        let failed = JobRunner.Report(job: "backup", status: .failed, error: OpsError(.jobFailed, "disk full"))
        try TextfileExporter.write(failed, to: dir, now: Date(timeIntervalSince1970: 1_800_086_400))
        let text = try String(contentsOfFile: dir + "/auto_i18n_ops_backup.prom", encoding: .utf8)
        #expect(text.contains(#"auto_i18n_ops_job_last_success_timestamp_seconds{ops_job="backup"} 1800000000"#))
        #expect(text.contains(#"auto_i18n_ops_job_last_run_timestamp_seconds{ops_job="backup"} 1800086400"#))
        #expect(text.contains("auto_i18n_ops_backup_last_size_bytes 999"))
        #expect(text.contains(#"status="failed"} 1"#))
        #expect(try Promtool.checkMetrics(text).output.isEmpty)
    }
}
