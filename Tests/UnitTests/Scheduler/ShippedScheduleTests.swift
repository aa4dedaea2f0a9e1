import Foundation
import TestSupport
import Testing
@testable import Scheduler

/// The files in Cron/ describe the same jobs at the same times, and every line is valid.
@Suite("Shipped schedules, cron.d file and systemd timers")
struct ShippedScheduleTests {
    static let jobs: Set<String> = ["backup", "backup-verify", "backup-prune", "retention", "stats-refresh", "snapshot", "cache-stats", "health"]

    private func schedule(_ path: String) throws -> CronScheduleFile {
        try CronScheduleFile(parsing: try RepositoryPath.text(path), file: path, defaultTimeZone: .gmt, knownJobs: Self.jobs)
    }

    @Test(arguments: ["Cron/schedule", "Cron/demo.schedule"])
    func theScheduleIsValidWithValidPolicies(_ path: String) throws {
        let file = try schedule(path)
        #expect(!file.entries.isEmpty)
        for entry in file.entries { _ = try JobPolicy.resolve(entry) }
    }

    @Test func theDefaultScheduleRunsEveryJobAsTheIssueAsks() throws {
        let entries = try schedule("Cron/schedule").entries
        func entry(_ job: String) throws -> CronScheduleFile.Entry { try #require(entries.first { $0.job == job }, "\(job) missing") }
        let day = try Date("2026-05-04T00:00:00Z", strategy: .iso8601)  // a Monday
        func fires(_ job: String, inNext hours: Double) throws -> Int {
            try entry(job).expression.nextDates(after: day.addingTimeInterval(-1), count: 10_000, in: .gmt).filter { $0 < day.addingTimeInterval(hours * 3600) }.count
        }
        #expect(try fires("backup", inNext: 24) == 1)
        #expect(try fires("retention", inNext: 24) == 1)
        #expect(try fires("backup-verify", inNext: 24 * 7) == 1)
        #expect(try entry("backup-verify").arguments == ["--restore-test"])
        #expect(try fires("stats-refresh", inNext: 24) == 24)
        #expect(try fires("snapshot", inNext: 24) == 96)
        #expect(try fires("health", inNext: 1) == 60)
        // Prune after the backup.
        let backup = try #require(try entry("backup").next(after: day)), prune = try #require(try entry("backup-prune").next(after: day))
        #expect(prune > backup)
    }

    @Test func theDemoScheduleFiresRetentionABackupAndASnapshotWithinTheFirstMinute() throws {
        let entries = try schedule("Cron/demo.schedule").entries
        let now = Date()
        for job in ["retention", "backup", "snapshot", "health"] {
            let entry = try #require(entries.first { $0.job == job }, "\(job) missing")
            #expect(try #require(entry.next(after: now)).timeIntervalSince(now) <= 60)
        }
    }

    /// The /etc/cron.d file runs the same jobs at the same times, as the `auto-i18n-ops` user, one-shot
    /// with --trigger cron and --textfile-dir.
    @Test func theCronDFileMatchesTheSchedule() throws {
        let daemon = try schedule("Cron/schedule").entries
        let lines = try RepositoryPath.text("Cron/auto-i18n-ops.cron").split(separator: "\n")
            .filter { !$0.hasPrefix("#") && !$0.contains("=") || $0.contains("exec auto-i18n-ops") }
            .filter { $0.contains("exec auto-i18n-ops") }
        #expect(lines.count == daemon.count)
        let commands: [String: String] = ["backup": "backup create", "backup-prune": "backup prune", "backup-verify": "backup verify --restore-test",
                                          "retention": "retention", "stats-refresh": "stats refresh", "snapshot": "snapshot",
                                          "cache-stats": "cache stats", "health": "health"]
        for entry in daemon {
            let command = try #require(commands[entry.job])
            let line = try #require(lines.first { $0.contains("exec auto-i18n-ops \(command) --trigger cron") }, "no cron.d line for \(entry.job)")
            let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            #expect(try CronExpression(fields: Array(words.prefix(5))) == entry.expression, "\(entry.job): times differ")
            #expect(words[5] == "auto-i18n-ops", "user field")
            #expect(line.contains("--textfile-dir /var/lib/prometheus/node-exporter"))
        }
    }

    /// Each job has a systemd service + timer whose OnCalendar fires at the schedule's times
    /// (checked with systemd-analyze, the oracle for OnCalendar syntax).
    @Test func theSystemdTimersFireWhenTheScheduleDoes() throws {
        let analyze = "/usr/bin/systemd-analyze"
        try #require(FileManager.default.isExecutableFile(atPath: analyze), "systemd-analyze is not installed")
        for entry in try schedule("Cron/schedule").entries {
            let timer = try RepositoryPath.text("Cron/systemd/auto-i18n-ops-\(entry.job).timer")
            let service = try RepositoryPath.text("Cron/systemd/auto-i18n-ops-\(entry.job).service")
            #expect(service.contains("--trigger cron --textfile-dir"))
            let calendar = try #require(timer.split(separator: "\n").first { $0.hasPrefix("OnCalendar=") }).dropFirst("OnCalendar=".count)
            let from = try Date("2026-05-04T00:00:30Z", strategy: .iso8601)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: analyze)
            process.arguments = ["calendar", "--iterations=5", "--base-time=@\(Int(from.timeIntervalSince1970))", String(calendar)]
            var environment = ProcessInfo.processInfo.environment
            environment["TZ"] = "UTC"
            process.environment = environment
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(calendar)")
            // Lines like "  (in UTC): Mon 2026-05-04 02:30:00 UTC" or "Next elapse: Mon 2026-05-04 02:30:00 UTC".
            let systemd = text.split(separator: "\n").filter { $0.contains("Next elapse:") || $0.contains("Iter. #") }
                .compactMap { line -> String? in
                    let words = line.split(separator: " ")
                    guard let date = words.firstIndex(where: { $0.count == 10 && $0.contains("-") }), date + 1 < words.count else { return nil }
                    return "\(words[date])T\(words[date + 1])Z"
                }
            let ours = entry.expression.nextDates(after: from, count: 5, in: .gmt).map { $0.formatted(.iso8601) }
            #expect(systemd == ours, "\(entry.job): systemd \(systemd) vs schedule \(ours)")
        }
    }
}
