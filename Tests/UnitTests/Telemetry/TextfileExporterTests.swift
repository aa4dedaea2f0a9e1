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

    /// Consecutive failures survive between one-shot processes: the previous file carries the count;
    /// a success resets it, a skipped run keeps it. The exit status is the process's.
    @Test func consecutiveFailuresCarryOverAndASuccessResetsThem() throws {
        let dir = try directory()
        let path = dir + "/auto_i18n_ops_backup_verify.prom"
        func failures() throws -> String? {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            return text.split(separator: "\n").first { $0.hasPrefix("auto_i18n_ops_job_consecutive_failures{") }.map(String.init)
        }
        let failed = JobRunner.Report(job: "backup-verify", status: .failed, error: OpsError(.configuration, "DATABASE_URL is not a valid URL"))
        try TextfileExporter.write(failed, to: dir, now: Date(timeIntervalSince1970: 1_800_000_000))
        #expect(try failures() == #"auto_i18n_ops_job_consecutive_failures{ops_job="backup-verify"} 1"#)
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains(#"auto_i18n_ops_job_last_exit_code{ops_job="backup-verify"} 2"#))
        try TextfileExporter.write(failed, to: dir, now: Date(timeIntervalSince1970: 1_800_000_100))
        #expect(try failures() == #"auto_i18n_ops_job_consecutive_failures{ops_job="backup-verify"} 2"#)
        try TextfileExporter.write(JobRunner.Report(job: "backup-verify", status: .skipped, error: OpsError(.skipped, "locked")), to: dir)
        #expect(try failures() == #"auto_i18n_ops_job_consecutive_failures{ops_job="backup-verify"} 2"#, "a skipped run neither fails nor succeeds")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains(#"auto_i18n_ops_job_last_exit_code{ops_job="backup-verify"} 75"#))
        #expect(text.contains(#"auto_i18n_ops_job_last_success_timestamp_seconds{ops_job="backup-verify"} 0"#), "never succeeded")
        try TextfileExporter.write(JobRunner.Report(job: "backup-verify", status: .succeeded, outcome: JobOutcome(details: [:])), to: dir,
                                   now: Date(timeIntervalSince1970: 1_800_000_200))
        #expect(try failures() == #"auto_i18n_ops_job_consecutive_failures{ops_job="backup-verify"} 0"#)
        let after = try String(contentsOfFile: path, encoding: .utf8)
        #expect(after.contains(#"auto_i18n_ops_job_last_success_timestamp_seconds{ops_job="backup-verify"} 1800000200"#))
        #expect(after.contains(#"auto_i18n_ops_job_last_exit_code{ops_job="backup-verify"} 0"#))
        let check = try Promtool.checkMetrics(after)
        #expect(check.status == 0 && check.output.isEmpty, "\(check.output)")
    }

    /// The store series go to one shared file with the daemon's unlabelled names; runs without a
    /// Redis URL leave the Redis series out, as the daemon does.
    @Test func theStoreSeriesGoToTheSharedStoresFile() throws {
        let dir = try directory()
        let stores = StoreProbe.Status(postgres: .init(up: true, ping: 0.0015), redis: .init(up: false, ping: 0))
        try TextfileExporter.write(JobRunner.Report(job: "snapshot", status: .failed, error: OpsError(.storeUnavailable, "down")),
                                   stores: stores, to: dir, now: Date(timeIntervalSince1970: 1_800_000_000))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["auto_i18n_ops_snapshot.prom", "auto_i18n_ops_stores.prom"])
        let text = try String(contentsOfFile: dir + "/auto_i18n_ops_stores.prom", encoding: .utf8)
        #expect(text.contains("\nauto_i18n_ops_postgres_up 1\n"))
        #expect(text.contains("\nauto_i18n_ops_postgres_ping_seconds 0.0015\n"))
        #expect(text.contains("\nauto_i18n_ops_redis_up 0\n"))
        #expect(text.contains("\nauto_i18n_ops_metrics_refresh_timestamp_seconds 1800000000\n"))
        let check = try Promtool.checkMetrics(text)
        #expect(check.status == 0 && check.output.isEmpty, "\(check.output)")
        // The job file and the stores file together are one valid exposition (no series twice).
        let job = try String(contentsOfFile: dir + "/auto_i18n_ops_snapshot.prom", encoding: .utf8)
        #expect(job.contains(#"auto_i18n_ops_job_last_exit_code{ops_job="snapshot"} 3"#))
        #expect(try Promtool.checkMetrics(job + text).status == 0)

        // A local repository's filesystem rides in the stores file too (the disk alert under cron).
        let withDisk = TextfileExporter.renderStores(StoreProbe.Status(postgres: .init(up: true, ping: 0), redis: nil,
                                                                       repository: FilesystemSpace(availableBytes: 50, sizeBytes: 1000)), now: Date())
        #expect(withDisk.contains("\nauto_i18n_ops_backup_repository_available_bytes 50\n"))
        #expect(withDisk.contains("\nauto_i18n_ops_backup_repository_size_bytes 1000\n"))
        #expect(try Promtool.checkMetrics(withDisk).status == 0)
        #expect(!text.contains("backup_repository_"), "no repository known: no series")

        let noRedis = TextfileExporter.renderStores(StoreProbe.Status(postgres: .init(up: false, ping: 0), redis: nil), now: Date())
        #expect(!noRedis.contains("redis_"))
        #expect(noRedis.contains("auto_i18n_ops_postgres_up 0"))
    }

    /// Every name a textfile carries is one the daemon exports too, except the three one-shot-only
    /// series (the status of the last one-shot, its exit code, its detail figures).
    @Test func textfileNamesAreTheDaemonsNames() throws {
        let daemon = OpsMetrics()
        daemon.register(jobs: ["backup"])
        daemon.registerRedis()
        let daemonNames = Set(String(decoding: daemon.render(), as: UTF8.self).split(separator: "\n")
            .filter { $0.hasPrefix("# TYPE ") }.map { String($0.split(separator: " ")[2]) })
        let report = JobRunner.Report(job: "backup", status: .succeeded, outcome: JobOutcome(details: ["bytes": 1, "tables": 2]))
        let text = TextfileExporter.render(report, now: Date(), previous: [:])
            + TextfileExporter.renderStores(StoreProbe.Status(postgres: .init(up: true, ping: 0.1), redis: .init(up: true, ping: 0.1)), now: Date())
        let names = Set(text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { String($0.split(separator: " ")[2]) })
        let oneShotOnly: Set = ["auto_i18n_ops_job_last_status", "auto_i18n_ops_job_last_exit_code", "auto_i18n_ops_job_last_detail"]
        #expect(names.subtracting(daemonNames) == oneShotOnly)
        for name in ["auto_i18n_ops_postgres_up", "auto_i18n_ops_redis_up", "auto_i18n_ops_job_consecutive_failures",
                     "auto_i18n_ops_job_last_success_timestamp_seconds", "auto_i18n_ops_job_last_run_timestamp_seconds"] {
            #expect(names.contains(name), "\(name)")
        }
    }

    /// A directory that cannot be written is an error (the command turns it into exit 1).
    @Test func anUnwritableDirectoryThrows() throws {
        let dir = try directory()
        let file = dir + "/not-a-directory"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        #expect(throws: (any Error).self) {
            try TextfileExporter.write(JobRunner.Report(job: "backup", status: .succeeded), to: file)
        }
    }
}
